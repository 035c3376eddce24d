export { loadConfig, ConfigError, type BridgeConfig } from './config.js';
export { createBridge, type Bridge, type BridgeOverrides } from './server.js';
export { createCallRooms, roomNameFor, type CallRooms, type CallContext } from './livekit/call-rooms.js';
export { phoneIdentityFor } from '@callbridge/room-contract';
export { AgentAudioRelay, type TwilioSink } from './media/agent-audio-relay.js';
