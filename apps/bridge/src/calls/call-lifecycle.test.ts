import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../metrics.js';
import { CallEventHub } from '../records/call-events.js';
import type { CallStore } from '../records/call-store.js';
import { CallLifecycle } from './call-lifecycle.js';
import { LiveCalls } from './live-calls.js';
import { CallRegistry } from './registry.js';
import { onStreamTimeout } from './shared-calls.js';

const CONTEXT = {
  callSid: 'CA' + '1'.repeat(32),
  direction: 'inbound',
  from: '+15551230001',
  to: '+15559870000',
} as const;

function setup(deleteRoom: (room: string) => Promise<void> = async () => undefined) {
  const registry = new CallRegistry(5);
  const metrics = createMetrics();
  const ended = vi.fn(async () => undefined);
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const rooms = { deleteRoom: vi.fn(deleteRoom) };
  const hub = new CallEventHub();
  const live = new LiveCalls();
  const lifecycle = new CallLifecycle({ registry, rooms, metrics, recorder: { ended }, log, hub, live });
  const count = async (outcome: string) =>
    (await metrics.callsEnded.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  const active = async () => (await metrics.activeCalls.get()).values[0]?.value;
  return { registry, lifecycle, rooms, ended, lines, count, active, hub, live, log };
}

/** What another bridge instance's stream start looks like on this instance's hub. */
const streamStartedElsewhere = {
  type: 'status',
  callSid: CONTEXT.callSid,
  status: 'stream-started',
  outcome: null,
  at: 1,
  detail: 'MZ' + '2'.repeat(32),
} as const;

describe('CallLifecycle', () => {
  it('answers a call into the registry and the active gauge', async () => {
    const t = setup();
    const call = t.lifecycle.answer(CONTEXT, 'call-x', 1000);
    expect(t.registry.get(CONTEXT.callSid)).toBe(call);
    expect(call).toMatchObject({ room: 'call-x', answeredAt: 1000 });
    expect(await t.active()).toBe(1);
  });

  it('releases a call once: registry, gauge, counter, record, room, one "call ended" line', async () => {
    const t = setup();
    const call = t.lifecycle.answer(CONTEXT, 'call-x');
    expect(await t.lifecycle.releaseCall(call, 'caller_hung_up', 'twilio stop', { durationMs: 4200 })).toBe(
      true,
    );
    expect(await t.lifecycle.releaseCall(call, 'shutdown', 'again')).toBe(false);
    expect(t.registry.get(CONTEXT.callSid)).toBeUndefined();
    expect(await t.active()).toBe(0);
    expect(await t.count('caller_hung_up')).toBe(1);
    expect(await t.count('shutdown')).toBe(0);
    expect(t.ended).toHaveBeenCalledTimes(1);
    expect(t.ended).toHaveBeenCalledWith(CONTEXT.callSid, 'caller_hung_up', 'twilio stop');
    expect(t.rooms.deleteRoom).toHaveBeenCalledTimes(1);
    expect(t.rooms.deleteRoom).toHaveBeenCalledWith('call-x');
    expect(t.lines.filter((l) => l.msg === 'call ended')).toEqual([
      expect.objectContaining({ outcome: 'caller_hung_up', durationMs: 4200 }),
    ]);
    expect(t.lifecycle.isReleased(call)).toBe(true);
  });

  it('logs a room it could not delete instead of swallowing the error, and still counts the ending', async () => {
    const t = setup(async () => {
      throw new Error('twirp error: unavailable');
    });
    const call = t.lifecycle.answer(CONTEXT, 'call-x');
    await t.lifecycle.releaseCall(call, 'no_stream', 'Twilio never opened the media stream');
    expect(await t.count('no_stream')).toBe(1);
    expect(t.lines).toContainEqual(
      expect.objectContaining({ msg: 'could not delete the call room', err: 'twirp error: unavailable' }),
    );
  });

  it('does not take a newer entry for the same CallSid out of the registry', async () => {
    const t = setup();
    const old = t.lifecycle.answer(CONTEXT, 'call-x');
    const newer = t.lifecycle.answer(CONTEXT, 'call-x');
    await t.lifecycle.releaseCall(old, 'failed', 'x');
    expect(t.registry.get(CONTEXT.callSid)).toBe(newer);
  });
});

describe('CallRegistry', () => {
  it('attaches one stream per call and stops its no-stream timer', () => {
    vi.useFakeTimers();
    try {
      const registry = new CallRegistry(2);
      registry.add({ ...CONTEXT, room: 'call-x', answeredAt: 0 });
      const call = registry.get(CONTEXT.callSid)!;
      const timedOut = vi.fn();
      registry.armStreamTimer(call, 1000, timedOut);
      const end = async () => undefined;
      expect(registry.attachStream(call, 'MZ1', end)).toBe(true);
      expect(registry.attachStream(call, 'MZ2', end)).toBe(false);
      expect(call.streamSid).toBe('MZ1');
      vi.advanceTimersByTime(5000);
      expect(timedOut).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('fires the no-stream timer when no stream attaches in time', () => {
    vi.useFakeTimers();
    try {
      const registry = new CallRegistry(2);
      registry.add({ ...CONTEXT, room: 'call-x', answeredAt: 0 });
      const timedOut = vi.fn();
      registry.armStreamTimer(registry.get(CONTEXT.callSid)!, 1000, timedOut);
      vi.advanceTimersByTime(999);
      expect(timedOut).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(timedOut).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('knows its capacity, refuses while draining, and refuses a replayed stream-token nonce', () => {
    const registry = new CallRegistry(1);
    expect(registry.hasCapacity()).toBe(true);
    registry.add({ ...CONTEXT, room: 'call-x', answeredAt: 0 });
    expect(registry.hasCapacity()).toBe(false);
    registry.remove(CONTEXT.callSid);
    registry.draining = true;
    expect(registry.hasCapacity()).toBe(false);
    expect(registry.claimNonce('n1', 2000, 1000)).toBe(true);
    expect(registry.claimNonce('n1', 2000, 1500)).toBe(false);
    expect(registry.claimNonce('n1', 3000, 2500)).toBe(true); // expired, then reused legitimately
  });

  it('keeps why a stream ended for the request after it, once', () => {
    const registry = new CallRegistry(1);
    registry.recordEnding(CONTEXT.callSid, { outcome: 'agent_hung_up' }, 1000);
    expect(registry.hasEnding(CONTEXT.callSid)).toBe(true);
    expect(registry.takeEnding(CONTEXT.callSid)).toMatchObject({ outcome: 'agent_hung_up' });
    expect(registry.takeEnding(CONTEXT.callSid)).toBeUndefined();
  });

  it('hands a call off when its stream starts on another instance: no ending, room kept', async () => {
    const t = setup();
    const call = t.lifecycle.answer(CONTEXT, 'call-x');
    t.hub.deliver(streamStartedElsewhere);
    expect(t.registry.get(CONTEXT.callSid)).toBeUndefined();
    expect(await t.active()).toBe(0);
    expect(t.lifecycle.isReleased(call)).toBe(true);
    expect(t.ended).not.toHaveBeenCalled();
    expect(t.rooms.deleteRoom).not.toHaveBeenCalled();
    expect(t.live.all()).toEqual([]);
    // Released by the hand-off: a later release (shutdown) does nothing.
    expect(await t.lifecycle.releaseCall(call, 'shutdown', 'bridge closing')).toBe(false);
    expect(t.rooms.deleteRoom).not.toHaveBeenCalled();
  });

  it('keeps a call whose stream it carries when that stream start is published', () => {
    const t = setup();
    const call = t.lifecycle.answer(CONTEXT, 'call-x');
    t.registry.attachStream(call, streamStartedElsewhere.detail, async () => undefined);
    t.hub.publish(streamStartedElsewhere);
    expect(t.registry.get(CONTEXT.callSid)).toBe(call);
  });

  it('ends a call at the stream timeout only if it streamed on no instance', async () => {
    const t = setup();
    const record = { streamStartedAt: null as number | null };
    const store = Promise.resolve({ get: async () => record } as unknown as CallStore);
    const identities: string[] = ['agent-AJ_1'];
    const rooms = { participantIdentities: async () => identities };
    const deps = { ...t, store, rooms, recorder: { carriedHere: async () => undefined } };

    // The phone joined the room from another instance: handed off, room kept.
    identities.push('phone-15551230001');
    const first = t.lifecycle.answer(CONTEXT, 'call-x');
    await onStreamTimeout(deps, first);
    expect(t.lifecycle.isReleased(first)).toBe(true);
    expect(t.rooms.deleteRoom).not.toHaveBeenCalled();

    // The record says it streamed (PostgreSQL, written by the other instance): the same.
    identities.pop();
    record.streamStartedAt = 5;
    const second = t.lifecycle.answer(CONTEXT, 'call-x');
    await onStreamTimeout(deps, second);
    expect(t.rooms.deleteRoom).not.toHaveBeenCalled();
    expect(t.ended).not.toHaveBeenCalled();

    // Neither: it never streamed anywhere, it ends as no_stream.
    record.streamStartedAt = null;
    const third = t.lifecycle.answer(CONTEXT, 'call-x');
    await onStreamTimeout(deps, third);
    expect(t.ended).toHaveBeenCalledWith(
      CONTEXT.callSid,
      'no_stream',
      'Twilio never opened the media stream',
    );
    expect(t.rooms.deleteRoom).toHaveBeenCalledWith('call-x');
  });
});
