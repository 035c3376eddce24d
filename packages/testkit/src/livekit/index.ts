export {
  startLiveKitServer,
  resolveLiveKitBinary,
  type LiveKitServer,
  type StartLiveKitOptions,
} from './server.js';
export { freeTcpPort, freeUdpPort } from './ports.js';
export {
  connectParticipant,
  participantToken,
  playPcm,
  recordRemoteAudio,
  type AudioRecording,
  type ConnectedParticipant,
} from './participant.js';
export {
  measureLoopbackLatency,
  loopbackFramesWithin,
  LOOPBACK_ROUNDS,
  type LoopbackLatency,
  type LoopbackLatencyOptions,
} from './latency.js';
export { observeTranscripts, type TranscriptLine, type TranscriptObserver } from './transcripts.js';
export { startEcho, type EchoParticipant } from './echo.js';
export { EchoPool, type CollectedEcho } from './echo-pool.js';
export {
  startLiveKitCluster,
  type LiveKitCluster,
  type LiveKitNode,
  type StartLiveKitClusterOptions,
} from './cluster.js';
