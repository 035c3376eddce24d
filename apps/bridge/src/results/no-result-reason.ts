/**
 * Why a call that asked for a result (`result_schema`) ended without one, from how it ended:
 * the record's outcome and answering machine detection's verdict.
 */
import type { RecordOutcome } from '../calls/outcomes.js';

export const NO_RESULT_REASONS = [
  /** Nobody picked up (no answer, canceled before answering). */
  'no_answer',
  /** Answering machine detection said a machine or a fax answered. */
  'voicemail',
  /** The callee's line was busy or declined the call (Twilio `busy`). */
  'refused',
  /** The callee hung up (or the line dropped) before the agent had a result. */
  'hung_up',
  /** The agent ended the call (or transferred it, or was lost) without reporting a result. */
  'agent_gave_up',
  /** The call could not be carried: Twilio failed it, the stream never opened, the bridge stopped. */
  'failed',
  /** An operator ended the call from the console. */
  'operator_ended',
] as const;
export type NoResultReason = (typeof NO_RESULT_REASONS)[number];

const BY_OUTCOME: Record<RecordOutcome, NoResultReason> = {
  no_answer: 'no_answer',
  canceled: 'no_answer',
  busy: 'refused',
  caller_hung_up: 'hung_up',
  stream_dropped: 'hung_up',
  // Twilio's `completed` before the bridge saw an ending: the callee hung up.
  completed: 'hung_up',
  agent_hung_up: 'agent_gave_up',
  room_deleted: 'agent_gave_up',
  transferred: 'agent_gave_up',
  agent_lost: 'agent_gave_up',
  voicemail: 'voicemail',
  operator_ended: 'operator_ended',
  busy_rejected: 'failed',
  failed: 'failed',
  no_stream: 'failed',
  room_closed: 'failed',
  protocol_error: 'failed',
  shutdown: 'failed',
  interrupted: 'failed',
};

/** A machine verdict of Twilio's answering machine detection (`machine_start`, `machine_end_beep`, `fax`, …). */
export function isMachineVerdict(answeredBy: string | null | undefined): boolean {
  return Boolean(answeredBy && (answeredBy.startsWith('machine') || answeredBy === 'fax'));
}

export function noResultReason(outcome: RecordOutcome, answeredBy: string | null): NoResultReason {
  if (isMachineVerdict(answeredBy)) return 'voicemail';
  return BY_OUTCOME[outcome];
}
