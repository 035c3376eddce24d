export {
  startRealtimeSimulator,
  type RealtimeSimulator,
  type RealtimeSimulatorOptions,
  type SimSessionInfo,
} from './simulator.js';
export type {
  RealtimeScript,
  ScriptedReply,
  Reply,
  Fault,
  ResponseContext,
  ResponseTrigger,
} from './script.js';
export type { SimEvent, EventLog } from './event-log.js';
export type { ResponseRecord } from './_response.js';
export { SAMPLE_RATE as REALTIME_SAMPLE_RATE } from './_protocol.js';
export { synthesize, espeakVoiceFor } from './_voice.js';
export { vadSettingsFor } from './_vad.js';
