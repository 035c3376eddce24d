import type { CallRecord, RecordOutcome } from './schema.js';

/** Twilio's final statuses of a call that was never answered, as the record's outcome. */
const FINAL_TWILIO_STATUSES: Record<string, RecordOutcome> = {
  busy: 'busy',
  'no-answer': 'no_answer',
  failed: 'failed',
  canceled: 'canceled',
};

/** The outcome a Twilio status callback ends an unanswered call with (none for other statuses). */
export function unansweredOutcome(status: string): RecordOutcome | undefined {
  return FINAL_TWILIO_STATUSES[status];
}

/** Another bridge instance took the call's stream and has not recorded its ending yet. */
export function carriedElsewhere(record: CallRecord, instanceId: string): boolean {
  return record.instanceId !== instanceId && record.streamStartedAt !== null && record.outcome === null;
}
