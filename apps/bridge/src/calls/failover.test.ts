import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallEventHub } from '../records/call-events.js';
import type { CallStore } from '../records/call-store.js';
import type { CallRecord, StatusEvent } from '../records/schema.js';
import { afterForeignStream, CARRIER_ENDING_WAIT_MS, MAX_STREAM_RECONNECTS } from './failover.js';

const SID = 'CA' + '3'.repeat(32);

/** A call record as far as the decision reads it, and its status events. */
function setup(record: Partial<CallRecord> | undefined, statuses: StatusEvent[] = []) {
  const current =
    record && ({ outcome: null, streamStartedAt: 1, instanceId: 'bridge-b', ...record } as CallRecord);
  const store = {
    get: vi.fn(async () => current),
    statusEvents: vi.fn(async () => statuses),
  } as unknown as CallStore;
  const hub = new CallEventHub();
  const streamLost = vi.fn(async () => undefined);
  const deps = {
    store: Promise.resolve(store),
    hub,
    recorder: { streamLost },
    log: pino({ level: 'silent' }),
  };
  return { deps, hub, streamLost, current };
}

afterEach(() => vi.useRealTimers());

describe('afterForeignStream', () => {
  it('reconnects a call that streamed and whose carrier recorded no ending in time', async () => {
    vi.useFakeTimers();
    const t = setup({});
    const decision = afterForeignStream(t.deps, SID);
    await vi.advanceTimersByTimeAsync(CARRIER_ENDING_WAIT_MS);
    expect(await decision).toEqual({ reconnect: true });
    expect(t.streamLost).toHaveBeenCalledWith(SID, 'bridge-b');
  });

  it('answers with the ending a live carrier records meanwhile', async () => {
    vi.useFakeTimers();
    const t = setup({});
    const decision = afterForeignStream(t.deps, SID);
    await vi.advanceTimersByTimeAsync(10);
    t.hub.deliver({
      type: 'status',
      callSid: SID,
      status: 'completed',
      outcome: 'agent_hung_up',
      at: 1,
      detail: null,
    });
    expect(await decision).toEqual({ reconnect: false, outcome: 'agent_hung_up' });
    expect(t.streamLost).not.toHaveBeenCalled();
  });

  it('does not reconnect a call that ended, never streamed, is unknown, or was reconnected enough', async () => {
    vi.useFakeTimers();
    const cases = [
      setup({ outcome: 'stream_dropped' }),
      setup({ streamStartedAt: null }),
      setup(undefined),
      setup(
        {},
        Array.from({ length: MAX_STREAM_RECONNECTS }, () => ({ status: 'stream-lost', at: 1, detail: null })),
      ),
    ];
    const decisions = cases.map((t) => afterForeignStream(t.deps, SID));
    await vi.advanceTimersByTimeAsync(CARRIER_ENDING_WAIT_MS);
    expect(await Promise.all(decisions)).toEqual([
      { reconnect: false, outcome: 'stream_dropped' },
      { reconnect: false },
      { reconnect: false },
      { reconnect: false },
    ]);
    for (const t of cases) expect(t.streamLost).not.toHaveBeenCalled();
  });
});
