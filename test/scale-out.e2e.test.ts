/**
 * The scale-out test (issue 15, item 5): haproxy (examples/haproxy-callbridge.cfg, round-robin, its
 * health checks on /health) in front of two bridges sharing PostgreSQL, two livekit-server nodes on
 * one Redis, three agent workers; bridges and workers on different LiveKit nodes (see
 * _scale-out-stack.ts). 30 calls from the Twilio simulator through haproxy, in six waves of WAVE
 * calls up at once, at most SETTING_UP of them being set up at once (30 agent sessions at once, or
 * a burst of agent processes starting together, is more than a loaded 2-core box carries):
 *
 * 1. waves 1 to 3 spread over both bridges and both nodes (and the workers LiveKit picks), and hang up;
 * 2. wave 4: bridge B is SIGKILLed mid-call (Twilio's request after `<Connect>` reaches bridge A
 *    through haproxy, which reconnects the caller into the same room);
 * 3. wave 5: LiveKit node 2 is SIGKILLed mid-call (measured: which calls end, which continue);
 * 4. wave 6: an agent worker is SIGKILLed mid-call (the bridge dispatches a new agent).
 *
 * Then: every call has exactly one record with a truthful outcome, no room is left on the
 * surviving node, and an outbound rate limit holds across the bridges. Prints one JSON line.
 */
import { dispose } from '@livekit/rtc-node';
import { waitFor } from '@callbridge/testkit/wait';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  callerTurn,
  hears,
  HEARD,
  perPart,
  RESUMED,
  SCRIPT,
  wave as placeWave,
  type LiveCall,
} from './_scale-out-calls.js';
import { startScaleOut, type ScaleOut } from './_scale-out-stack.js';

const WAVE = 5;
/** Calls being set up at once (placed, their agent process not yet speaking). */
const SETTING_UP = 1;
const OUTBOUND_LIMIT = 3;

/**
 * Part of `npm test` (green in five of six runs on the 2-core machine on 2026-12-06, the last three
 * in a row, the one failure fixed; docs/scaling.md). CALLBRIDGE_SCALE_OUT=0 skips it (~6 minutes).
 */
const ENABLED = process.env.CALLBRIDGE_SCALE_OUT !== '0';

let s: ScaleOut;

beforeAll(async () => {
  if (!ENABLED) return;
  s = await startScaleOut({
    script: SCRIPT,
    bridgeEnv: {
      AGENT_REJOIN_GRACE_S: '1',
      AGENT_REJOIN_TIMEOUT_S: '20',
      OUTBOUND_ALLOWLIST: '+1555444*',
      OUTBOUND_LIMIT_PER_NUMBER_HOUR: String(OUTBOUND_LIMIT),
    },
  });
}, 120_000);

afterEach(({ task }) => {
  if (task.result?.state !== 'fail' || !s) return;
  // Every part's whole log, to explain the failure.
  const dir = mkdtempSync(join(tmpdir(), 'scale-out-logs-'));
  for (const app of [...s.bridges, ...s.workers]) writeFileSync(join(dir, `${app.name}.log`), app.logs());
  s.cluster.nodes.forEach((n, i) => writeFileSync(join(dir, `livekit-${i + 1}.log`), n.logs()));
  writeFileSync(join(dir, 'haproxy.log'), s.haproxy.logs());
  const model = s.realtime.events.filter((e) => e.type !== 'input_audio_buffer.append');
  writeFileSync(
    join(dir, 'realtime-events.log'),
    model.map((e) => `${new Date(e.at).toISOString()} ${e.sessionId} ${e.direction} ${e.type}`).join('\n'),
  );
  console.log(`scale-out: every part's log in ${dir}`);
});

afterAll(async () => {
  await s?.stop();
  await dispose();
});

let placed = 0;
const wave = () => placeWave(s, (placed += WAVE) - WAVE, WAVE, SETTING_UP);
const ms = (t: number) => Math.round(t);

// No retry: a second run would take as long again (CI time); a failure is a finding.
const once = { timeout: 480_000, retry: 0 };
/** After the node dies, a call neither ended (the bridge gives a lost agent 15 s) nor spoken to for this long kept its agent. */
const NODE_KILL_QUIET_MS = 25_000;

it.runIf(ENABLED)(
  'carries 30 calls over two bridges, two LiveKit nodes and three workers, through a bridge, a node and a worker dying',
  once,
  async () => {
    const all: LiveCall[] = [];
    const ended = new Map<string, 'hung_up' | 'apology'>();

    // Waves 1 to 3: spread over everything, then hung up.
    for (let i = 0; i < 3; i++) {
      const calls = await wave();
      all.push(...calls);
      await Promise.all(calls.map((c) => c.call.hangup()));
      for (const c of calls) ended.set(c.call.callSid, 'hung_up');
    }

    // Wave 4: bridge B dies mid-call; its callers are reconnected through haproxy to bridge A.
    const third = await wave();
    // haproxy's round robin also counts webhooks and status callbacks: a call makes an even number
    // of requests, so a wave's streams can all land on A, and so would the next call's. Then one
    // request more through haproxy (shifting the rotation by one) and one call more, until a call
    // streams through B (at most 4).
    for (let extra = 0; extra < 4 && !third.some((c) => c.bridge === 1); extra++) {
      await s.api('GET', '/api/calls?limit=1');
      third.push(...(await placeWave(s, placed++, 1, 1)));
    }
    all.push(...third);
    const onB = third.filter((c) => c.bridge === 1);
    const bKilledAt = performance.now();
    s.bridges[1]!.signal('SIGKILL');
    expect(await s.bridges[1]!.exited).toBeNull();
    const restreamed = await Promise.all(
      onB.map(async (c) => {
        await c.call.waitForStream(2, 30_000);
        return s.bridges[0]!.waitForLog(
          'the new stream on A',
          (e) => e.msg === 'call live' && e.room === c.room,
        );
      }),
    );
    const bridgeRecoveryMs = ms(Math.max(0, ...onB.map((c) => c.call.streamStartedAtMs)) - bKilledAt);
    expect(restreamed).toHaveLength(onB.length);
    // The moved calls go on: the caller speaks and hears the agent's answer (the same agent).
    const afterBridgeKill = await Promise.all(onB.map((c) => callerTurn(c.call)));
    await Promise.all(third.map((c) => c.call.hangup()));
    for (const c of third) ended.set(c.call.callSid, 'hung_up');

    // Wave 5 (all on bridge A now): LiveKit node 2 dies.
    const fourth = await wave();
    all.push(...fourth);
    // LiveKit node 2 dies (bridge A and workers 1 and 3 use node 1; worker 2 used node 2).
    const touched = fourth.filter((c) => c.node === 1 || c.worker === 1);
    const nodeKilledAt = performance.now();
    await s.cluster.nodes[1]!.kill();
    // Each touched call either ends with the apology, or a new agent picks it up ("where were
    // we"), or the same agent comes back with the room on the surviving node and just listens
    // (LiveKit moved everyone over): a call still up and silent after NODE_KILL_QUIET_MS is that
    // one, and the caller turn below proves it is still answered.
    const afterNodeKill = await Promise.all(
      touched.map((c) =>
        Promise.race([
          c.call.ended.then(() => ({ c, fate: 'ended' as const, at: performance.now(), heard: undefined })),
          hears(c.call, nodeKilledAt, RESUMED, 'the new agent').then(
            (heard) => ({ c, fate: 'picked_up' as const, at: heard.at, heard }),
            () => new Promise<never>(() => undefined), // no onset in 60 s: the quiet branch has won
          ),
          new Promise<{ c: LiveCall; fate: 'listening'; at: undefined; heard: undefined }>((resolve) =>
            setTimeout(
              () => resolve({ c, fate: 'listening', at: undefined, heard: undefined }),
              NODE_KILL_QUIET_MS,
            ),
          ),
        ]),
      ),
    );
    const nodeRecoveryMs = ms(
      Math.max(0, ...afterNodeKill.map((r) => (r.at === undefined ? 0 : r.at - nodeKilledAt))),
    );
    const fates = new Set(afterNodeKill.map((r) => r.fate));
    for (const r of afterNodeKill.filter((x) => x.fate === 'ended')) {
      expect(r.c.call.said.join(' ')).toMatch(/technical trouble/);
      ended.set(r.c.call.callSid, 'apology');
    }
    // (What those callers heard is judged at the end, once no call is live.)
    // Every call still up answers a turn, then hangs up.
    const stillUp = fourth.filter((c) => !ended.has(c.call.callSid));
    const afterNodeKillTurns = await Promise.all(stillUp.map((c) => callerTurn(c.call)));
    await Promise.all(stillUp.map((c) => c.call.hangup()));
    for (const c of stillUp) ended.set(c.call.callSid, 'hung_up');

    // Wave 6 (all on bridge A and node 1 now): an agent worker dies mid-call.
    const fifth = await wave();
    all.push(...fifth);
    const victim = [0, 2].sort(
      (x, y) => fifth.filter((c) => c.worker === y).length - fifth.filter((c) => c.worker === x).length,
    )[0]!;
    const orphaned = fifth.filter((c) => c.worker === victim);
    const wKilledAt = performance.now();
    s.workers[victim]!.signal('SIGKILL');
    const resumed = await Promise.all(
      orphaned.map((c) => hears(c.call, wKilledAt, RESUMED, 'the new agent')),
    );
    const workerRecoveryMs = ms(Math.max(0, ...resumed.map((r) => r.at - wKilledAt)));
    await Promise.all(fifth.map((c) => c.call.hangup()));
    for (const c of fifth) ended.set(c.call.callSid, 'hung_up');

    // Every call: exactly one record (shared PostgreSQL, read through haproxy), its outcome truthful.
    const records = await waitFor(
      'every call recorded with an outcome',
      async () => {
        const res = await s.api('GET', '/api/calls?direction=inbound&limit=100');
        const calls = (res.body?.calls ?? []) as { sid: string; outcome: string | null }[];
        return calls.length >= all.length && calls.every((c) => c.outcome) ? calls : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const outcomes: Record<string, number> = {};
    for (const c of all) {
      const mine = records.filter((r) => r.sid === c.call.callSid);
      expect(mine).toHaveLength(1);
      const outcome = mine[0]!.outcome!;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      expect(outcome).toBe(ended.get(c.call.callSid) === 'apology' ? 'agent_lost' : 'caller_hung_up');
    }
    expect(records).toHaveLength(all.length);

    // No room left on the surviving node.
    const node1 = s.cluster.nodes[0]!;
    const rooms = new RoomServiceClient(node1.httpUrl, s.cluster.apiKey, s.cluster.apiSecret);
    const roomsLeft = await waitFor(
      'no room left',
      async () => {
        const left = await rooms.listRooms();
        return left.length === 0 ? left : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch(async () => rooms.listRooms());

    // Outbound: 2K requests for one number at once through haproxy (both bridges' turn), limit K.
    const before = s.rest.calls.size;
    const outbound = await Promise.all(
      Array.from({ length: 2 * OUTBOUND_LIMIT + 2 }, () =>
        s.api('POST', '/api/calls', { to: '+15554440010', task: 'ping' }),
      ),
    );
    const outboundPlaced = s.rest.calls.size - before;

    const greetings = all.map((c) => c.greeting);
    console.log(
      JSON.stringify({
        scale_out: {
          calls: all.length,
          wave: WAVE,
          records: records.length,
          outcomes,
          calls_per_bridge: perPart(all, (c) => c.bridge, 2),
          calls_per_livekit_node: perPart(all, (c) => c.node, 2),
          sessions_per_worker: s.workers.map(
            (w) => w.entries().filter((e) => e.msg === 'job accepted').length,
          ),
          greeting_match_min: Number(Math.min(...greetings).toFixed(2)),
          bridge_killed_calls: onB.length,
          bridge_kill_recovery_ms: bridgeRecoveryMs,
          after_bridge_kill_reply_match_min: Number(
            Math.min(1, ...afterBridgeKill.map((h) => h.match)).toFixed(2),
          ),
          livekit_node_kill: [...fates].sort().join('+') || 'untouched',
          livekit_node_kill_calls: afterNodeKill.length,
          livekit_node_kill_ended: afterNodeKill.filter((r) => r.fate === 'ended').length,
          livekit_node_kill_recovery_ms: nodeRecoveryMs,
          after_node_kill_reply_match_min: Number(
            Math.min(1, ...afterNodeKillTurns.map((h) => h.match)).toFixed(2),
          ),
          agent_worker_killed_calls: orphaned.length,
          agent_worker_kill_recovery_ms: workerRecoveryMs,
          rooms_left: roomsLeft.length,
          outbound_requests: outbound.length,
          outbound_limit: OUTBOUND_LIMIT,
          outbound_placed: outboundPlaced,
        },
      }),
    );

    // Spread over both bridges and both nodes. Workers: livekit-server v1.13.5 gives a job to the node
    // whose available workers have the most room left (the sum over them of target load minus load,
    // pkg/service/agentservice.go, JobRequestAffinity), so node 1 with two workers wins nearly every
    // job and the lone worker on node 2 got 0-2 of 31 across runs. That is LiveKit's choice, not
    // ours: the calls must reach more than one worker, and every worker is registered (beforeAll).
    expect(perPart(all, (c) => c.bridge, 2).every((n) => n > 0)).toBe(true);
    expect(perPart(all, (c) => c.node, 2).every((n) => n > 0)).toBe(true);
    expect(perPart(all, (c) => c.worker, 3).filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    // Audio on content: every caller heard the greeting; every turn after a fault was answered.
    const heardAfterFaults = [...afterBridgeKill, ...afterNodeKillTurns, ...resumed];
    for (const r of afterNodeKill) if (r.heard) heardAfterFaults.push(r.heard);
    for (const m of [...greetings, ...heardAfterFaults.map((h) => h.match)]) expect(m).toBeGreaterThan(HEARD);
    expect(onB.length).toBeGreaterThan(0);
    expect(orphaned.length).toBeGreaterThan(0);
    expect(roomsLeft.map((r) => r.name)).toEqual([]);
    expect(outbound.filter((r) => r.status === 201)).toHaveLength(OUTBOUND_LIMIT);
    expect(outbound.filter((r) => r.status === 429)).toHaveLength(outbound.length - OUTBOUND_LIMIT);
    expect(outboundPlaced).toBe(OUTBOUND_LIMIT);
  },
);
