export { percentile, round } from './percentile.js';
export { MarkerDetector, markerFrame } from './markers.js';
export { machineCpu, processUsage, type MachineCpu, type ProcessUsage } from './proc.js';
