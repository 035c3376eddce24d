/**
 * @callbridge/room-contract: the names and shapes the bridge and the agent share in a LiveKit room.
 * Both apps import this package; see README.md before changing anything here.
 */
export { CALL_AUDIO_MAX_BITRATE_BPS } from './audio.js';
export {
  CALL_DIRECTIONS,
  callDirectionSchema,
  DISPATCH_LIMITS,
  dispatchMetadataSchema,
  historyLineSchema,
  recentHistory,
  roomMetadataSchema,
  VOICEMAIL_ACTIONS,
  voicemailPlanSchema,
  type VoicemailPlan,
  type CallDirection,
  type DispatchMetadata,
  type HistoryLine,
  type RoomMetadata,
} from './dispatch.js';
export {
  isPhoneIdentity,
  ourNumberOf,
  PHONE_IDENTITY_PREFIX,
  phoneIdentityFor,
  remotePartyOf,
} from './identity.js';
export {
  AGENT_STATE_ATTRIBUTE,
  isAgentSessionUp,
  OPERATOR_ATTRIBUTE,
  OPERATOR_MODES,
  PHONE_ATTRIBUTES,
  PHONE_CALL_STATUS,
  phoneAttributes,
  phoneAttributesSchema,
  readTransferState,
  TRANSFER_FAILURES,
  transferStateSchema,
  type PhoneAttributes,
  type TransferFailure,
  type TransferState,
} from './attributes.js';
export {
  hangupRequestSchema,
  parseRpcPayload,
  playbackInterruptedReplySchema,
  playbackInterruptedRequestSchema,
  resultReportSchema,
  type ResultReport,
  RPC_ERROR_CODES,
  RPC_METHODS,
  RPC_OK,
  rpcOkSchema,
  transferRequestSchema,
  TRANSFER_SUMMARY_MAX,
  type HangupRequest,
  type PlaybackInterruptedReply,
  type PlaybackInterruptedRequest,
  type RpcMethod,
  type RpcOk,
  type TransferRequest,
} from './rpc.js';
export {
  TOOL_CALLS_TOPIC,
  toolCallMessageSchema,
  TRANSCRIPTION_TOPIC,
  type ToolCallMessage,
} from './topics.js';
export { maskIdentity, maskPhoneNumber, personalDataRedaction } from './privacy.js';
export { heardTranscript } from './heard.js';
export {
  BUSINESS_TOOL_NAMES,
  languageCodeSchema,
  PERSONA_LIMITS,
  personaFieldsSchema,
  REALTIME_VOICES,
  type BusinessToolName,
  type PersonaFields,
} from './persona.js';
export {
  RESULT_SCHEMA_LIMITS,
  resultSchemaSchema,
  resultSchemaToZod,
  type ResultProperty,
  type ResultSchema,
} from './result-schema.js';
