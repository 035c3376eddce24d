/**
 * Form parameters of Twilio's HTTP requests to us: the voice webhook (TwiML request), the call
 * status callback and the `<Stream statusCallback>` events. Field names follow Twilio's "TwiML
 * Voice: Twilio's request to your application" and call status callback docs. Unknown fields are
 * dropped from the parsed value (signatures are checked on the raw form, not on this).
 */
import { z } from 'zod';
import { describeIssues } from './_errors.js';
import { AccountSidSchema, CallSidSchema, DecimalStringSchema, StreamSidSchema } from './_sids.js';

export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'answered',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const CALL_DIRECTIONS = [
  'inbound',
  'outbound-api',
  'outbound-dial',
  'trunking-originating',
  'trunking-terminating',
] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

const optional = z.string().optional();

/** Fields Twilio sends with every voice request about a call. */
const callFields = {
  CallSid: CallSidSchema,
  AccountSid: AccountSidSchema,
  /** Caller; a phone number, a client:/sip: identity, or "anonymous" for withheld caller ID. */
  From: z.string(),
  To: z.string(),
  CallStatus: z.enum(CALL_STATUSES),
  ApiVersion: z.string(),
  Direction: z.enum(CALL_DIRECTIONS),
  ForwardedFrom: optional,
  CallerName: optional,
  ParentCallSid: CallSidSchema.optional(),
  CallToken: optional,
  StirVerstat: optional,
  // Legacy mirrors of From/To, still sent.
  Caller: optional,
  Called: optional,
  // Geographic data Twilio looks up for the numbers, when it can.
  FromCity: optional,
  FromState: optional,
  FromZip: optional,
  FromCountry: optional,
  ToCity: optional,
  ToState: optional,
  ToZip: optional,
  ToCountry: optional,
  CallerCity: optional,
  CallerState: optional,
  CallerZip: optional,
  CallerCountry: optional,
  CalledCity: optional,
  CalledState: optional,
  CalledZip: optional,
  CalledCountry: optional,
};

/** POST to the number's voice URL when a call comes in; we answer with TwiML. */
export const VoiceWebhookSchema = z.object(callFields);
export type VoiceWebhook = z.infer<typeof VoiceWebhookSchema>;

/** POST to the status callback URL when the call changes state (for inbound calls: when it ends). */
export const StatusCallbackSchema = z.object({
  ...callFields,
  /** Seconds the call lasted; present once it is completed. */
  CallDuration: DecimalStringSchema.optional(),
  /** RFC 2822 time of the event, e.g. "Mon, 16 Aug 2010 03:45:01 +0000". */
  Timestamp: optional,
  CallbackSource: optional,
  SequenceNumber: DecimalStringSchema.optional(),
  SipResponseCode: optional,
});
export type StatusCallback = z.infer<typeof StatusCallbackSchema>;

/** `DialCallStatus` values of a `<Dial>` action request (`answered` is for conferences). */
export const DIAL_CALL_STATUSES = [
  'completed',
  'answered',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type DialCallStatus = (typeof DIAL_CALL_STATUSES)[number];

/**
 * POST to `<Dial action>` when the dialled call ends: the call's own fields (CallStatus is the
 * caller's leg: `in-progress` while they are still on the line) plus the outcome of the dial.
 */
export const DialActionSchema = z.object({
  ...callFields,
  DialCallStatus: z.enum(DIAL_CALL_STATUSES),
  DialCallSid: CallSidSchema.optional(),
  /** Seconds the dialled call lasted, once it was answered. */
  DialCallDuration: DecimalStringSchema.optional(),
  /** Whether the dialled party was connected to the caller (false when a whisper hung them up). */
  DialBridged: z.enum(['true', 'false']).optional(),
});
export type DialAction = z.infer<typeof DialActionSchema>;

/** POST to `<Gather action>` (or a `<Redirect>`) on a leg: the call's fields plus the keys pressed. */
export const GatherResultSchema = z.object({
  ...callFields,
  Digits: z
    .string()
    .regex(/^[0-9*#]*$/, 'Digits holds keypad keys only')
    .optional(),
  FinishedOnKey: optional,
});
export type GatherResult = z.infer<typeof GatherResultSchema>;

export const STREAM_EVENTS = ['stream-started', 'stream-stopped', 'stream-error'] as const;
export type StreamEvent = (typeof STREAM_EVENTS)[number];

/** POST to `<Stream statusCallback>` when the stream starts, stops or fails. */
export const StreamStatusCallbackSchema = z.object({
  AccountSid: AccountSidSchema,
  CallSid: CallSidSchema,
  StreamSid: StreamSidSchema,
  StreamName: optional,
  StreamEvent: z.enum(STREAM_EVENTS),
  StreamError: optional,
  Timestamp: optional,
});
export type StreamStatusCallback = z.infer<typeof StreamStatusCallbackSchema>;

/** Answering machine detection's verdicts (`AnsweredBy`), as Twilio's AMD docs list them. */
export const ANSWERED_BY = [
  'human',
  'machine_start',
  'machine_end_beep',
  'machine_end_silence',
  'machine_end_other',
  'fax',
  'unknown',
] as const;
export type AnsweredBy = (typeof ANSWERED_BY)[number];

/**
 * POST to `AsyncAmdStatusCallback` when asynchronous answering machine detection has a verdict
 * (the call is already connected and running its TwiML by then).
 */
export const AmdStatusCallbackSchema = z.object({
  AccountSid: AccountSidSchema,
  CallSid: CallSidSchema,
  AnsweredBy: z.enum(ANSWERED_BY),
  /** Milliseconds detection took. */
  MachineDetectionDuration: DecimalStringSchema.optional(),
});
export type AmdStatusCallback = z.infer<typeof AmdStatusCallbackSchema>;

/** A webhook form that does not match what Twilio sends. Not retryable. */
export class WebhookError extends Error {
  readonly code = 'invalid_webhook';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'WebhookError';
  }
}

export type WebhookParseResult<T> = { ok: true; value: T } | { ok: false; error: WebhookError };

/** Form body as parsed by express.urlencoded (an object) or as URLSearchParams. */
export type WebhookForm = Record<string, unknown> | URLSearchParams;

export function parseVoiceWebhook(form: WebhookForm): WebhookParseResult<VoiceWebhook> {
  return parseForm('voice webhook', VoiceWebhookSchema, form);
}

export function parseStatusCallback(form: WebhookForm): WebhookParseResult<StatusCallback> {
  return parseForm('status callback', StatusCallbackSchema, form);
}

export function parseDialAction(form: WebhookForm): WebhookParseResult<DialAction> {
  return parseForm('dial action request', DialActionSchema, form);
}

export function parseGatherResult(form: WebhookForm): WebhookParseResult<GatherResult> {
  return parseForm('gather result', GatherResultSchema, form);
}

export function parseAmdStatusCallback(form: WebhookForm): WebhookParseResult<AmdStatusCallback> {
  return parseForm('answering machine detection callback', AmdStatusCallbackSchema, form);
}

export function parseStreamStatusCallback(form: WebhookForm): WebhookParseResult<StreamStatusCallback> {
  return parseForm('stream status callback', StreamStatusCallbackSchema, form);
}

function parseForm<T>(what: string, schema: z.ZodType<T>, form: WebhookForm): WebhookParseResult<T> {
  const data = form instanceof URLSearchParams ? Object.fromEntries(form) : form;
  const parsed = schema.safeParse(data, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: new WebhookError(`invalid ${what}: ${describeIssues(parsed.error.issues)}`) };
}
