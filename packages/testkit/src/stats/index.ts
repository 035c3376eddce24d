export { percentile, round } from './percentile.js';
export { MarkerDetector, markerFrame } from './markers.js';
export { processUsage, type ProcessUsage } from './proc.js';
