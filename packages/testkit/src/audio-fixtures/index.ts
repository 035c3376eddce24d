export { readWav, writeWav, encodeWav, type WavPcm } from './wav.js';
export { speechPcm, type SpeechOptions } from './speech.js';
export {
  tone,
  rmsDbfs,
  bestCorrelation,
  decimate,
  segmentedCorrelation,
  type CorrelationResult,
  type SegmentedMatch,
} from './signal.js';
