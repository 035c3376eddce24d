/**
 * @callbridge/agent: the OpenAI Realtime phone agent, run as a LiveKit Agents worker.
 * Run it with `node --import tsx apps/agent/src/main.ts start`; this module is the API for code
 * that composes or extends it (business tools, embedding the worker).
 */
export {
  loadConfig,
  ConfigError,
  DEFAULT_INSTRUCTIONS,
  DEFAULT_GREETING,
  type AgentConfig,
  type TurnDetectionConfig,
} from './config.js';
export { startWorker, type RunningWorker } from './worker.js';
export { runCall, type CallDeps } from './call/run-call.js';
export { startConversation, type Conversation, type CallerLine } from './call/conversation.js';
export { callContextFromMetadata, withParticipantAttributes, type CallContext } from './call/context.js';
export { phoneIdentityFor } from '@callbridge/room-contract';
export { composeInstructions } from './call/instructions.js';
export { PhoneLine, TransferRefusedError, type PhoneControl } from './call/phone-line.js';
export {
  callTools,
  defineCallTool,
  SpokenToolError,
  TOOL_CALLS_TOPIC,
  type CallTool,
  type CallToolSpec,
  type ToolCallRecord,
  type ToolRuntime,
} from './tools/index.js';
export {
  EligibilityService,
  SAMPLE_MEMBERS,
  type Member,
  type EligibilityResult,
} from './services/eligibility.js';
