import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../metrics.js';
import type { CallStore } from '../records/call-store.js';
import type { CallRecord, StatusEvent } from '../records/schema.js';
import { CallLifecycle } from './call-lifecycle.js';
import { CallRegistry } from './registry.js';
import { adoptCall } from './shared-calls.js';

const SID = 'CA' + '5'.repeat(32);
const event = (status: string): StatusEvent => ({ status, at: 1, detail: null });

function setup(record: Partial<CallRecord> | undefined, statuses: StatusEvent[] = []) {
  const full =
    record &&
    ({
      callSid: SID,
      direction: 'outbound',
      from: '+15559870000',
      to: '+15554440001',
      room: `call-${SID}`,
      outcome: null,
      streamStartedAt: null,
      instanceId: 'bridge-a',
      answeredBy: 'human',
      ...record,
    } as CallRecord);
  const store = { get: async () => full, statusEvents: async () => statuses } as unknown as CallStore;
  const registry = new CallRegistry(5);
  const log = pino({ level: 'silent' });
  const lifecycle = new CallLifecycle({
    registry,
    rooms: { deleteRoom: async () => undefined },
    metrics: createMetrics(),
    recorder: { ended: async () => undefined },
    log,
  });
  const carriedHere = vi.fn(async () => undefined);
  const deps = {
    registry,
    lifecycle,
    store: Promise.resolve(store),
    rooms: { participantIdentities: async () => [] },
    recorder: { carriedHere },
    log,
  };
  return { deps, registry, carriedHere };
}

describe('adoptCall', () => {
  it('takes a call another bridge answered from its record, and names this bridge its carrier', async () => {
    const t = setup({});
    const call = await adoptCall(t.deps, SID);
    expect(call).toMatchObject({
      callSid: SID,
      direction: 'outbound',
      from: '+15559870000',
      to: '+15554440001',
      room: `call-${SID}`,
      answeredBy: 'human',
    });
    expect(t.registry.get(SID)).toBe(call);
    expect(t.carriedHere).toHaveBeenCalledWith(SID);
  });

  it('replaces a stream lost with its bridge, not one still streaming elsewhere (a replayed token)', async () => {
    const lost = setup({ streamStartedAt: 5 }, [event('stream-started'), event('stream-lost')]);
    expect(await adoptCall(lost.deps, SID)).toBeDefined();
    const streaming = setup({ streamStartedAt: 5 }, [event('stream-started')]);
    expect(await adoptCall(streaming.deps, SID)).toBeUndefined();
    const reconnected = setup({ streamStartedAt: 9 }, [
      event('stream-started'),
      event('stream-lost'),
      event('stream-started'),
    ]);
    expect(await adoptCall(reconnected.deps, SID)).toBeUndefined();
    expect(streaming.registry.active + reconnected.registry.active).toBe(0);
  });

  it('takes no call the records do not hold as live', async () => {
    for (const record of [undefined, { outcome: 'caller_hung_up' as const }]) {
      const t = setup(record);
      expect(await adoptCall(t.deps, SID)).toBeUndefined();
      expect(t.registry.active).toBe(0);
      expect(t.carriedHere).not.toHaveBeenCalled();
    }
  });
});
