export { percentile, round } from './percentile.js';
export { MarkerDetector, markerFrame } from './markers.js';
export {
  countDelta,
  cpuShare,
  machineCpu,
  processHandles,
  processUsage,
  threadGrowth,
  type MachineCpu,
  type ProcessHandles,
  type ProcessUsage,
} from './proc.js';
export { loadMachine, type MachineLoad } from './load.js';
export { LoopStalls, STALL_PROBE_MS, stallsExplainGap, type Stall } from './loop-stalls.js';
