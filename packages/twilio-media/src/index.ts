/**
 * The Twilio protocol in one place: Media Streams messages (decode/encode), TwiML builders,
 * webhook forms, request signatures and the per-call stream token. Pure: no sockets, no I/O.
 */
export {
  MEDIA_FORMAT,
  ConnectedMessageSchema,
  StartMessageSchema,
  MediaMessageSchema,
  DtmfMessageSchema,
  DtmfDigitSchema,
  MarkMessageSchema,
  StopMessageSchema,
  InboundMessageSchemas,
  type ConnectedMessage,
  type StartMessage,
  type MediaMessage,
  type DtmfMessage,
  type MarkMessage,
  type StopMessage,
  type InboundMessage,
  type InboundEvent,
} from './_inbound-messages.js';
export {
  OutboundMediaMessageSchema,
  OutboundMarkMessageSchema,
  OutboundClearMessageSchema,
  OutboundMessageSchemas,
  type OutboundMediaMessage,
  type OutboundMarkMessage,
  type OutboundClearMessage,
  type OutboundMessage,
  type OutboundEvent,
} from './_outbound-messages.js';
export { CallSidSchema, AccountSidSchema, StreamSidSchema, DecimalStringSchema } from './_sids.js';
export { ProtocolError, CloseCode, type ProtocolErrorCode } from './_errors.js';
export {
  decodeInbound,
  decodeOutbound,
  checkMediaPayload,
  DEFAULT_MAX_MESSAGE_BYTES,
  type DecodeOptions,
  type DecodeResult,
} from './_decode.js';
export { encodeMedia, encodeMark, encodeClear, mulawToPayload, payloadToMulaw } from './_encode.js';
export {
  PROGRESS_MARK_INTERVAL_MS,
  parseMarkName,
  progressMark,
  utteranceEndMark,
  type CallbridgeMark,
} from './_mark-names.js';
export {
  connectStreamTwiml,
  sayAndHangupTwiml,
  hangupTwiml,
  rejectTwiml,
  dialTwiml,
  assertStreamUrl,
  type ConnectStreamOptions,
  type SayOptions,
  type DialOptions,
} from './_twiml.js';
export { whisperTwiml, emptyTwiml, type WhisperOptions } from './_transfer-twiml.js';
export {
  CALL_STATUSES,
  CALL_DIRECTIONS,
  STREAM_EVENTS,
  VoiceWebhookSchema,
  StatusCallbackSchema,
  StreamStatusCallbackSchema,
  parseVoiceWebhook,
  parseStatusCallback,
  parseStreamStatusCallback,
  parseDialAction,
  parseGatherResult,
  DIAL_CALL_STATUSES,
  DialActionSchema,
  GatherResultSchema,
  type DialAction,
  type DialCallStatus,
  type GatherResult,
  parseAmdStatusCallback,
  ANSWERED_BY,
  AmdStatusCallbackSchema,
  type AnsweredBy,
  type AmdStatusCallback,
  WebhookError,
  type CallStatus,
  type CallDirection,
  type StreamEvent,
  type VoiceWebhook,
  type StatusCallback,
  type StreamStatusCallback,
  type WebhookForm,
  type WebhookParseResult,
} from './_webhooks.js';
export {
  SIGNATURE_HEADER,
  validateTwilioSignature,
  computeTwilioSignature,
  validateStreamUpgradeSignature,
  computeStreamUpgradeSignature,
  type SignatureCheck,
} from './_signature.js';
export {
  createStreamToken,
  verifyStreamToken,
  parseStreamToken,
  MIN_STREAM_TOKEN_SECRET_BYTES,
  type StreamTokenClaims,
  type StreamTokenFailure,
  type StreamTokenVerdict,
} from './_stream-token.js';
