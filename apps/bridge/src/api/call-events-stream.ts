import type { Request, Response } from 'express';
import type { CallEvent, CallEventHub } from '../records/call-events.js';
import type { CallStore } from '../records/call-store.js';
import {
  callSummaryJson,
  operatorActionJson,
  statusEventJson,
  toolCallJson,
  transcriptLineJson,
} from './call-json.js';

/** Keeps proxies from closing an idle stream during a quiet call. */
const HEARTBEAT_MS = 15_000;

function send(res: Response, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function sendEvent(res: Response, e: CallEvent): void {
  switch (e.type) {
    case 'status':
      return send(res, 'status', {
        status: e.status,
        outcome: e.outcome,
        detail: e.detail,
        at: new Date(e.at).toISOString(),
      });
    case 'transcript':
      return send(res, 'transcript', transcriptLineJson(e.line));
    case 'tool_call':
      return send(res, 'tool_call', toolCallJson(e.toolCall));
    case 'result':
      return send(res, 'result', { result: e.result, at: new Date(e.at).toISOString() });
    case 'operator_action':
      return send(res, 'operator_action', operatorActionJson(e.action));
    case 'ended':
      return send(res, 'ended', callSummaryJson(e.record));
  }
}

/**
 * `GET /api/calls/:sid/events`: Server-Sent Events. First a `snapshot` (the record so far, its
 * transcript, tool calls, status history, operator actions), then live `status`, `transcript`,
 * `tool_call`, `result`, `operator_action` events, and `ended` with the final record, after which the stream closes. Live events come from every
 * bridge instance sharing the database (PostgreSQL; see the README's "More than one bridge").
 */
export async function streamCallEvents(
  req: Request<{ sid: string }>,
  res: Response,
  store: CallStore,
  hub: CallEventHub,
): Promise<boolean> {
  const sid = req.params.sid;
  // Subscribe before reading the snapshot so nothing falls between the two; replay after it.
  const early: CallEvent[] = [];
  let live: ((e: CallEvent) => void) | null = null;
  const unsubscribe = hub.subscribe(sid, (e) => (live ? live(e) : early.push(e)));
  const record = await store.get(sid);
  if (!record) {
    unsubscribe();
    return false;
  }
  const [transcript, toolCalls, statuses, actions] = await Promise.all([
    store.transcript(sid),
    store.toolCalls(sid),
    store.statusEvents(sid),
    store.operatorActions(sid),
  ]);
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  send(res, 'snapshot', {
    call: callSummaryJson(record),
    transcript: transcript.map(transcriptLineJson),
    tool_calls: toolCalls.map(toolCallJson),
    status_events: statuses.map(statusEventJson),
    operator_actions: actions.map(operatorActionJson),
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const finish = () => {
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  };
  if (record.endedAt !== null) {
    send(res, 'ended', callSummaryJson(record));
    finish();
    return true;
  }
  // Events published while the snapshot was read may already be in it: send only the others.
  const inSnapshot = new Set([
    ...transcript.map((l) => `t|${l.at}|${l.text}`),
    ...toolCalls.map((t) => `c|${t.startedAt}|${t.name}`),
    ...statuses.map((s) => `s|${s.at}|${s.status}`),
    ...(record.resultAt !== null ? [`r|${record.resultAt}`] : []),
    ...actions.map((a) => `o|${a.at}|${a.action}`),
  ]);
  const key = (e: CallEvent) =>
    e.type === 'transcript'
      ? `t|${e.line.at}|${e.line.text}`
      : e.type === 'tool_call'
        ? `c|${e.toolCall.startedAt}|${e.toolCall.name}`
        : e.type === 'status'
          ? `s|${e.at}|${e.status}`
          : e.type === 'result'
            ? `r|${e.at}`
            : e.type === 'operator_action'
              ? `o|${e.action.at}|${e.action.action}`
              : 'ended';
  live = (e) => {
    sendEvent(res, e);
    if (e.type === 'ended') finish();
  };
  for (const e of early) if (!inSnapshot.has(key(e))) live(e);
  req.on('close', finish);
  return true;
}
