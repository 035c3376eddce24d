export { percentile, round } from './percentile.js';
export { MarkerDetector, markerFrame } from './markers.js';
export {
  countDelta,
  machineCpu,
  processHandles,
  processUsage,
  type MachineCpu,
  type ProcessHandles,
  type ProcessUsage,
} from './proc.js';
