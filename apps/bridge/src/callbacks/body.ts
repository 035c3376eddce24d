import type { CallRecord } from '../records/schema.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What a callback POSTs: the call's ending and its result (or why there is none). */
export function callbackBody(r: CallRecord): string {
  return JSON.stringify({
    event: 'call.ended',
    sid: r.callSid,
    direction: r.direction,
    from: r.from,
    to: r.to,
    status: r.status,
    outcome: r.outcome,
    outcome_reason: r.outcomeReason,
    answered_by: r.answeredBy,
    task: r.task,
    metadata: r.metadata,
    result: r.result,
    result_at: iso(r.resultAt),
    no_result_reason: r.noResultReason,
    ended_at: iso(r.endedAt),
    duration_ms: r.durationMs,
  });
}
