import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LiveCalls, type LiveCallEvent } from '../calls/live-calls.js';
import { CallEventHub, type CallEvent } from './call-events.js';
import type { CallStore } from './call-store.js';
import type { BusTopic, ClusterBus } from './cluster-bus.js';
import type { CallRecord } from './schema.js';
import { shareLiveEvents } from './shared-events.js';

/** Bridges on one in-memory bus: what one publishes reaches the others (never itself), as NOTIFY does. */
function network() {
  const members: { listeners: Map<BusTopic, ((body: unknown) => void)[]> }[] = [];
  return () => {
    const me = { listeners: new Map<BusTopic, ((body: unknown) => void)[]>() };
    members.push(me);
    const bus: ClusterBus = {
      ready: Promise.resolve(),
      publish(topic, body) {
        const wire = JSON.parse(JSON.stringify(body)) as unknown; // what crosses is JSON
        for (const m of members) if (m !== me) for (const l of m.listeners.get(topic) ?? []) l(wire);
        return true;
      },
      subscribe(topic, listener) {
        me.listeners.set(topic, [...(me.listeners.get(topic) ?? []), listener]);
      },
      close: async () => undefined,
    };
    return bus;
  };
}

const SID = 'CA' + '4'.repeat(32);
const record = { callSid: SID, outcome: 'caller_hung_up' } as CallRecord;

function bridge(join: () => ClusterBus) {
  const hub = new CallEventHub();
  const live = new LiveCalls();
  const store = Promise.resolve({ get: async () => record } as unknown as CallStore);
  shareLiveEvents({ bus: join(), hub, live, store, log: pino({ level: 'silent' }) });
  return { hub, live };
}

describe('live events shared between bridges', () => {
  it('delivers a call’s events to the other bridges; the final record is read back from the store', async () => {
    const join = network();
    const a = bridge(join);
    const b = bridge(join);
    const seenOnA: CallEvent[] = [];
    a.hub.subscribe(SID, (e) => seenOnA.push(e));
    const seenOnB: CallEvent[] = [];
    b.hub.subscribe(SID, (e) => seenOnB.push(e));
    const status = {
      type: 'status',
      callSid: SID,
      status: 'agent-joined',
      outcome: null,
      at: 5,
      detail: 'agent-1',
    } as const;
    b.hub.publish(status);
    b.hub.publish({ type: 'ended', callSid: SID, record: { ...record, task: 'x'.repeat(20_000) } });
    await new Promise((r) => setImmediate(r));
    expect(seenOnA).toEqual([status, { type: 'ended', callSid: SID, record }]);
    expect(seenOnB).toHaveLength(2); // its own, once each
  });

  it('lists the calls another bridge carries, and keeps them through a hand-off', () => {
    const join = network();
    const a = bridge(join);
    const b = bridge(join);
    const call = {
      callSid: SID,
      direction: 'inbound',
      from: '+15551230001',
      to: '+15559870000',
      room: 'r',
      answeredAt: 1,
    } as const;
    a.live.add(call); // A answered
    b.live.add(call); // B took the stream
    b.live.update(SID, { streamStartedAt: 2 });
    a.live.handOff(SID); // A lets go: B's entry stays listed on A
    expect(a.live.all()).toEqual([expect.objectContaining({ callSid: SID, streamStartedAt: 2 })]);
    const gone: LiveCallEvent[] = [];
    a.live.subscribe((e) => gone.push(e));
    b.live.remove(SID, 'caller_hung_up');
    expect(a.live.all()).toEqual([]);
    expect(gone).toEqual([{ type: 'gone', callSid: SID, outcome: 'caller_hung_up' }]);
  });

  it('forgets a handed-off call quietly when no other bridge has listed it yet', () => {
    const a = new LiveCalls();
    const events: LiveCallEvent[] = [];
    a.add({ callSid: SID, direction: 'inbound', from: '+1', to: '+2', room: 'r', answeredAt: 1 });
    a.subscribe((e) => events.push(e));
    a.handOff(SID);
    expect(a.all()).toEqual([]);
    expect(events).toEqual([]);
  });
});
