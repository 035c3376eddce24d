import type {
  CallRecord,
  OperatorAction,
  StatusEvent,
  ToolCallEntry,
  TranscriptLine,
} from '../records/schema.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A record as the API shows it: snake_case, ISO 8601 times. */
export function callSummaryJson(r: CallRecord) {
  return {
    sid: r.callSid,
    direction: r.direction,
    from: r.from,
    to: r.to,
    route: r.route,
    status: r.status,
    outcome: r.outcome,
    outcome_reason: r.outcomeReason,
    room: r.room,
    agent_identity: r.agentIdentity,
    answered_by: r.answeredBy,
    voicemail: r.voicemail,
    task: r.task,
    instructions: r.instructions,
    voice: r.voice,
    metadata: r.metadata,
    created_at: iso(r.createdAt),
    webhook_at: iso(r.webhookAt),
    stream_started_at: iso(r.streamStartedAt),
    agent_joined_at: iso(r.agentJoinedAt),
    ended_at: iso(r.endedAt),
    duration_ms: r.durationMs,
    greeting_ms: r.greetingMs,
    turn_latencies_ms: r.turnLatenciesMs,
    result_schema: r.resultSchema,
    result: r.result,
    result_at: iso(r.resultAt),
    no_result_reason: r.noResultReason,
    callback: r.callbackUrl
      ? {
          url: r.callbackUrl,
          state: r.callbackState,
          attempts: r.callbackAttempts,
          last_status: r.callbackLastStatus,
          delivered_at: iso(r.callbackDeliveredAt),
          last_error: r.callbackLastError,
        }
      : null,
    // Where to fetch the call's two-channel WAV, once the call ended (null: no recording).
    recording:
      r.recordingPath !== null
        ? {
            url: `/api/calls/${r.callSid}/recording`,
            bytes: r.recordingBytes,
            duration_ms: r.recordingDurationMs,
          }
        : null,
  };
}

export function transcriptLineJson(l: TranscriptLine) {
  return { speaker: l.speaker, identity: l.identity, text: l.text, at: iso(l.at) };
}

export function toolCallJson(t: ToolCallEntry) {
  return {
    name: t.name,
    tool_call_id: t.toolCallId,
    arguments: t.arguments,
    result: t.result,
    error: t.error,
    started_at: iso(t.startedAt),
    ended_at: iso(t.endedAt),
  };
}

export function statusEventJson(e: StatusEvent) {
  return { status: e.status, detail: e.detail, at: iso(e.at) };
}

export function operatorActionJson(a: OperatorAction) {
  return { operator: a.operator, action: a.action, detail: a.detail, result: a.result, at: iso(a.at) };
}
