/** A Twilio cloud simulator for tests: voice webhooks, Media Streams, status callbacks. */
export {
  TwilioSimulator,
  type TwilioSimulatorOptions,
  type InboundCallOptions,
  type DirectStreamOptions,
} from './_simulator.js';
export { SimulatedCall, type CallEnd } from './_call.js';
export { type DialAttempt, type DialCallee, type DialCallees } from './_dial.js';
export { playedOut } from './played-out.js';
export type {
  AudioOnset,
  LineMarkerOnsets,
  MarkEcho,
  ClearEvent,
  CloseInfo,
  SimulatedCallEvents,
} from './_events.js';
export { FrameClock, sharedFrameClock, type FrameClockStats } from './_frame-clock.js';
export {
  readTwiml,
  type ParsedTwiml,
  type TwimlSummary,
  type TwimlNode,
  type StreamInstruction,
} from './_twiml-reader.js';
export {
  postSignedForm,
  signatureHeader,
  rfc2822,
  type SignatureMode,
  type FormPostResult,
} from './_signed-post.js';
export {
  postStatusCallback,
  postStreamStatus,
  callStatusForm,
  type StatusCallbackPost,
  type StreamStatusPost,
  type CallIdentity,
} from './_status-callbacks.js';
export { FRAME_SAMPLES, SILENCE_PEAK } from './_line-frame.js';
export * from './rest/index.js';
/** How often the bridge marks its progress through an utterance (for tests' tolerances). */
export { PROGRESS_MARK_INTERVAL_MS } from '@callbridge/twilio-media';
export { isProgressMark } from './played-out.js';
export { sentOnsetFrame } from './sent-onset.js';
