/**
 * How a call ends, declared once. CALL_OUTCOMES are what the bridge itself decides (the registry,
 * the session, metrics); the call record adds the endings the bridge learns from elsewhere.
 */
export const CALL_OUTCOMES = [
  'completed',
  'caller_hung_up',
  'agent_hung_up',
  /**
   * Someone deleted the call's room through LiveKit's server API: how agents written for LiveKit SIP
   * hang up. A normal ending (the caller is hung up on, no apology), like agent_hung_up.
   */
  'room_deleted',
  'transferred',
  /** An operator ended the call from the console (the operator action is in the record). */
  'operator_ended',
  'busy_rejected',
  'failed',
  'stream_dropped',
  'no_stream',
  'room_closed',
  'protocol_error',
  /** The agent left mid-call and none came back in time: the caller heard an apology. */
  'agent_lost',
  /** Answering machine detection reported a machine; the agent left its message or hung up at once. */
  'voicemail',
  'shutdown',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** A record's outcome: the bridge's own, Twilio's unanswered outbound statuses, and a crash. */
export const RECORD_OUTCOMES = [
  ...CALL_OUTCOMES,
  /** Outbound calls the callee never answered (Twilio's busy, no-answer and canceled statuses). */
  'busy',
  'no_answer',
  'canceled',
  /** Found unfinished when the bridge started again: the process died mid-call. */
  'interrupted',
] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];
