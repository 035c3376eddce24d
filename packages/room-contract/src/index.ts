/**
 * @callbridge/room-contract: the names and shapes the bridge and the agent share in a LiveKit room.
 * Both apps import this package; see README.md before changing anything here.
 */
export {
  CALL_DIRECTIONS,
  callDirectionSchema,
  DISPATCH_LIMITS,
  dispatchMetadataSchema,
  roomMetadataSchema,
  type CallDirection,
  type DispatchMetadata,
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
  OPERATOR_ATTRIBUTE,
  OPERATOR_MODES,
  PHONE_ATTRIBUTES,
  PHONE_CALL_STATUS,
  phoneAttributes,
  phoneAttributesSchema,
  type PhoneAttributes,
} from './attributes.js';
export {
  hangupRequestSchema,
  parseRpcPayload,
  RPC_ERROR_CODES,
  RPC_METHODS,
  RPC_OK,
  rpcOkSchema,
  transferRequestSchema,
  type HangupRequest,
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
