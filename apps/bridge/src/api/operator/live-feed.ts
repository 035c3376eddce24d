import { maskPhoneNumber, ourNumberOf, remotePartyOf } from '@callbridge/room-contract';
import type { Request, Response } from 'express';
import type { LiveCall, LiveCalls } from '../../calls/live-calls.js';

const HEARTBEAT_MS = 15_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One active call as the console's live list shows it; phone numbers masked. */
export function liveCallJson(c: LiveCall, nowMs = Date.now()) {
  return {
    sid: c.callSid,
    direction: c.direction,
    caller: maskPhoneNumber(remotePartyOf(c)) ?? '…',
    our_number: maskPhoneNumber(ourNumberOf(c)) ?? '…',
    room: c.room,
    answered_at: iso(c.answeredAt),
    stream_started_at: iso(c.streamStartedAt),
    duration_ms: nowMs - (c.streamStartedAt ?? c.answeredAt),
    agent_state: c.agentState,
    greeting_ms: c.greetingMs,
    turn_latencies_ms: c.turnLatenciesMs,
  };
}

function send(res: Response, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * `GET /api/operator/calls/live`: Server-Sent Events of every active call (on every bridge
 * instance sharing PostgreSQL).
 * `snapshot` (`{calls: [...]}`) first, then `call` whenever one is answered or changes (stream start,
 * agent state, latency) and `gone` (`{sid, outcome}`) when it ends.
 */
export function streamLiveCalls(req: Request, res: Response, live: LiveCalls): void {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  const unsubscribe = live.subscribe((e) => {
    if (e.type === 'upsert') send(res, 'call', liveCallJson(e.call));
    else send(res, 'gone', { sid: e.callSid, outcome: e.outcome });
  });
  send(res, 'snapshot', { calls: live.all().map((c) => liveCallJson(c)) });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  req.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}
