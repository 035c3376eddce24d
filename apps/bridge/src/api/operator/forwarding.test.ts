import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BusTopic } from '../../records/cluster-bus.js';
import { ActionForwarding, type ForwardedCommand } from './forwarding.js';

const SID = 'CA' + '7'.repeat(32);
const SECRET = 'shared-stream-token-secret-0123456789';
const log = pino({ level: 'silent' });

/** Instances on one in-memory bus (what one publishes reaches the others, as JSON, as NOTIFY does). */
function network() {
  const members: Map<BusTopic, ((body: unknown) => void)[]>[] = [];
  const wire: { topic: BusTopic; body: unknown }[] = [];
  const inject = (topic: BusTopic, body: unknown, except?: unknown) => {
    for (const m of members) if (m !== except) for (const l of m.get(topic) ?? []) l(body);
  };
  const join = () => {
    const me = new Map<BusTopic, ((body: unknown) => void)[]>();
    members.push(me);
    return {
      publish(topic: BusTopic, body: unknown) {
        const json = JSON.parse(JSON.stringify(body)) as unknown;
        wire.push({ topic, body: json });
        inject(topic, json, me);
        return true;
      },
      subscribe(topic: BusTopic, l: (body: unknown) => void) {
        me.set(topic, [...(me.get(topic) ?? []), l]);
      },
    };
  };
  return { join, wire, inject };
}

function instance(join: ReturnType<typeof network>['join'], instanceId: string, secret = SECRET) {
  const forwarding = new ActionForwarding({ bus: join(), secret, instanceId, log, timeoutMs: 200 });
  const carried: ForwardedCommand[] = [];
  forwarding.serve(async (command) => {
    carried.push(command);
    return { carried: true, result: { ok: true, body: { sid: command.sid, outcome: 'operator_ended' } } };
  });
  return { forwarding, carried };
}

describe('operator actions forwarded over the bridges bus', () => {
  it('reaches the instance named as carrier only, which answers with its result', async () => {
    const net = network();
    const a = instance(net.join, 'bridge-a');
    const b = instance(net.join, 'bridge-b');
    const c = instance(net.join, 'bridge-c');
    const out = await a.forwarding.forward('bridge-b', SID, 'alice', { action: 'end' });
    expect(out).toEqual({
      type: 'reply',
      reply: { carried: true, result: { ok: true, body: { sid: SID, outcome: 'operator_ended' } } },
    });
    expect(b.carried.map((x) => [x.sid, x.operator, x.do])).toEqual([[SID, 'alice', { action: 'end' }]]);
    expect(c.carried).toEqual([]);
  });

  it('times out when nobody carries the call, and refuses forged, tampered and replayed commands', async () => {
    const net = network();
    const a = instance(net.join, 'bridge-a');
    const b = instance(net.join, 'bridge-b');
    // Signed with another secret (any database role can NOTIFY): B does nothing, A hears nothing.
    const mallory = instance(net.join, 'mallory', 'not-the-shared-secret-0123456789abcd');
    expect(await mallory.forwarding.forward('bridge-b', SID, 'x', { action: 'end' })).toEqual({
      type: 'timeout',
    });
    expect(b.carried).toEqual([]);
    expect(await a.forwarding.forward('bridge-gone', SID, 'alice', { action: 'end' })).toEqual({
      type: 'timeout',
    });

    // A genuine command, carried out once; the same bytes again are ignored.
    await a.forwarding.forward('bridge-b', SID, 'alice', { action: 'transfer', to: '+15557770001' });
    expect(b.carried).toHaveLength(1);
    const sent = net.wire.filter((w) => w.topic === 'command').at(-1)!.body;
    net.inject('command', sent);
    expect(b.carried).toHaveLength(1);

    // Its content changed under the old signature: ignored.
    const { m, s } = sent as { m: string; s: string };
    const tampered = {
      m: m.replace('+15557770001', '+19005550000').replace(/"id":"[^"]+"/, `"id":"${crypto.randomUUID()}"`),
      s,
    };
    net.inject('command', tampered);
    await Promise.resolve();
    expect(b.carried).toHaveLength(1);
  });

  afterEach(() => void vi.useRealTimers());

  it('ignores a genuine command delivered more than 30 s after it was signed', async () => {
    const net = network();
    const a = instance(net.join, 'bridge-a');
    expect(await a.forwarding.forward('bridge-b', SID, 'alice', { action: 'end' })).toEqual({
      type: 'timeout',
    });
    const captured = net.wire.find((w) => w.topic === 'command')!.body;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 31_000);
    const b = instance(net.join, 'bridge-b'); // never saw it: only its age refuses it
    net.inject('command', captured);
    await Promise.resolve();
    expect(b.carried).toEqual([]);
    vi.setSystemTime(Date.now() - 31_000);
    net.inject('command', captured);
    await Promise.resolve();
    expect(b.carried).toHaveLength(1); // the same message in time is carried out
  });
});
