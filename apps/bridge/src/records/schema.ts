/**
 * The call record: one row per call, its transcript lines and tool calls in their own tables, and
 * the status history. One schema for SQLite and PostgreSQL; times are epoch milliseconds (BIGINT).
 * The tables themselves are made by the migrations, one module each under migrations/.
 */

import type { CallStatus } from '@callbridge/twilio-media';
import type { ResultSchema, VoicemailPlan } from '@callbridge/room-contract';
import type { RecordOutcome } from '../calls/outcomes.js';
import type { NoResultReason } from '../results/no-result-reason.js';

/** How a call ended: declared once, with the bridge's own outcomes, in calls/outcomes.ts. */
export { RECORD_OUTCOMES, type RecordOutcome } from '../calls/outcomes.js';

/** Twilio's call statuses (declared in @callbridge/twilio-media): the `status` column, the last one we know of. */
export { CALL_STATUSES } from '@callbridge/twilio-media';
export type CallStatusValue = CallStatus;

export interface CallRecord {
  callSid: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  room: string | null;
  agentIdentity: string | null;
  /** The bridge instance that owns the call (BRIDGE_INSTANCE_ID); it marks its own leftovers interrupted. */
  instanceId: string;
  status: CallStatusValue;
  outcome: RecordOutcome | null;
  outcomeReason: string | null;
  /** Answering machine detection's verdict on outbound calls (`human`, `machine_start`, …). */
  answeredBy: string | null;
  task: string | null;
  instructions: string | null;
  voice: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: number;
  webhookAt: number | null;
  streamStartedAt: number | null;
  agentJoinedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  /** Stream start to the first agent audio sent to the caller, as the bridge measured it. */
  greetingMs: number | null;
  /** Per answered turn: the caller's last loud frame to the first agent audio of the answer. */
  turnLatenciesMs: number[] | null;
  /** The shape of the task's result (`result_schema` of `POST /api/calls`). */
  resultSchema: ResultSchema | null;
  /** What the agent reported, validated against `resultSchema`. */
  result: Record<string, unknown> | null;
  resultAt: number | null;
  /** Why a call that asked for a result ended without one. */
  noResultReason: NoResultReason | null;
  /** Where the result is POSTed when the call ends, and how that went. */
  callbackUrl: string | null;
  callbackState: CallbackState | null;
  callbackAttempts: number;
  /** HTTP status of the last attempt (null: no answer, e.g. a refused connection or a timeout). */
  callbackLastStatus: number | null;
  callbackDeliveredAt: number | null;
  callbackLastError: string | null;
  /** What the agent does if a machine answers (`voicemail` of `POST /api/calls`); null: the defaults. */
  voicemail: VoicemailPlan | null;
  /** The ROUTES_FILE route the call took (its name); null without a routes file. */
  route: string | null;
  /** The call's two-channel WAV (RECORD_CALLS), once the call ended; null when none (or deleted). */
  recordingPath: string | null;
  recordingBytes: number | null;
  recordingDurationMs: number | null;
}

/** `pending` until the call ends and delivery is tried; `delivered` (2xx) or `failed` (given up). */
export type CallbackState = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface TranscriptLine {
  speaker: 'caller' | 'agent';
  /** The LiveKit identity whose track was transcribed. */
  identity: string;
  text: string;
  at: number;
}

export interface ToolCallEntry {
  name: string;
  toolCallId: string | null;
  arguments: unknown;
  result: unknown;
  error: string | null;
  startedAt: number;
  endedAt: number;
}

export interface StatusEvent {
  status: string;
  at: number;
  detail: string | null;
}

/** Something an operator did to a call from the console: who, what, when, and how it went. */
export interface OperatorAction {
  /** The operator's login name (CONSOLE_USERS). */
  operator: string;
  /** `end`, `transfer`, `listen`, `takeover`, `place_call`, `recording` (a listen to the call's recording). */
  action: string;
  /** What the action was given (e.g. `{"to": "+1…"}`), or null. */
  detail: unknown;
  /** `ok`, or the refusal's error code. */
  result: string;
  at: number;
}

export type NewCallRecord = Pick<
  CallRecord,
  'callSid' | 'direction' | 'from' | 'to' | 'instanceId' | 'status'
> &
  Partial<Omit<CallRecord, 'callSid' | 'direction' | 'from' | 'to' | 'instanceId' | 'status'>>;

/** Columns a later write may change. */
export type CallPatch = Partial<
  Pick<
    CallRecord,
    | 'room'
    | 'instanceId'
    | 'agentIdentity'
    | 'status'
    | 'answeredBy'
    | 'webhookAt'
    | 'streamStartedAt'
    | 'agentJoinedAt'
    | 'greetingMs'
    | 'turnLatenciesMs'
    | 'result'
    | 'resultAt'
    | 'noResultReason'
    | 'callbackState'
    | 'callbackAttempts'
    | 'callbackLastStatus'
    | 'callbackDeliveredAt'
    | 'callbackLastError'
    | 'route'
    | 'recordingPath'
    | 'recordingBytes'
    | 'recordingDurationMs'
  >
>;

export interface CallEnding {
  outcome: RecordOutcome;
  reason: string | null;
  endedAt: number;
  status: CallStatusValue;
}

export interface CallFilter {
  status?: CallStatusValue;
  outcome?: RecordOutcome;
  direction?: 'inbound' | 'outbound';
  /** Matches either end of the call. */
  number?: string;
  since?: number;
  until?: number;
  /** Words said in the call: a case-insensitive substring of a transcript line. */
  text?: string;
  limit: number;
  /** Keyset cursor: calls strictly older than this (createdAt, callSid). */
  before?: { createdAt: number; callSid: string };
}

/** Record fields stored as JSON text. */
export const JSON_FIELDS = new Set<keyof CallRecord>([
  'metadata',
  'turnLatenciesMs',
  'resultSchema',
  'result',
  'voicemail',
]);
/** Record fields stored as BIGINT/INTEGER (PostgreSQL returns BIGINT as text). */
export const NUMBER_FIELDS = new Set<keyof CallRecord>([
  'createdAt',
  'webhookAt',
  'streamStartedAt',
  'agentJoinedAt',
  'endedAt',
  'durationMs',
  'greetingMs',
  'resultAt',
  'callbackAttempts',
  'callbackLastStatus',
  'callbackDeliveredAt',
  'recordingBytes',
  'recordingDurationMs',
]);

/** Column name ↔ record field, the one mapping both stores use. */
export const CALL_COLUMNS = {
  callSid: 'call_sid',
  direction: 'direction',
  from: 'from_number',
  to: 'to_number',
  room: 'room',
  agentIdentity: 'agent_identity',
  instanceId: 'instance_id',
  status: 'status',
  outcome: 'outcome',
  outcomeReason: 'outcome_reason',
  answeredBy: 'answered_by',
  task: 'task',
  instructions: 'instructions',
  voice: 'voice',
  metadata: 'metadata',
  createdAt: 'created_at',
  webhookAt: 'webhook_at',
  streamStartedAt: 'stream_started_at',
  agentJoinedAt: 'agent_joined_at',
  endedAt: 'ended_at',
  durationMs: 'duration_ms',
  greetingMs: 'greeting_ms',
  turnLatenciesMs: 'turn_latencies_ms',
  resultSchema: 'result_schema',
  result: 'result',
  resultAt: 'result_at',
  noResultReason: 'no_result_reason',
  callbackUrl: 'callback_url',
  callbackState: 'callback_state',
  callbackAttempts: 'callback_attempts',
  callbackLastStatus: 'callback_last_status',
  callbackDeliveredAt: 'callback_delivered_at',
  callbackLastError: 'callback_last_error',
  voicemail: 'voicemail',
  route: 'route',
  recordingPath: 'recording_path',
  recordingBytes: 'recording_bytes',
  recordingDurationMs: 'recording_duration_ms',
} as const satisfies Record<keyof CallRecord, string>;
