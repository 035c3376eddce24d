/**
 * Any bridge takes any request of any call: two bridges on one PostgreSQL and one livekit-server.
 *
 * Operator actions: the call's voice webhook on A, its Media Stream (and Twilio's later requests)
 * on B, the operator's console on A. Ending and transferring the call from A take effect on the
 * call B carries (the caller is hung up on, or Twilio dials the transfer target; the record says
 * who did it), and a call whose carrier stopped gets a 504 that names the carrier, not a false
 * "ended". Stream tokens: a token used on A is refused on B, even where the records would let B
 * take the call (its stream was lost with its bridge).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { TwilioSimulator, type SimulatedCall } from '@callbridge/testkit/twilio';
import { dispose } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TOKEN, metricValue, startTestBridge, waitFor, type TestBridge } from './_harness.js';
import { API_KEY, apiClient } from './_records-harness.js';
import { joinStandIn } from './_stand-in.js';
import { keepPlaying, lastHeard, powerAt } from './_tones.js';

const SECRET = 'shared-stream-token-secret-0123456789';
const PASSWORD = 'correct horse battery staple';
const TRANSFER_TO = '+15557770001';

let lk: LiveKitServer;
let pg: PostgresServer;
let a: TestBridge;
let b: TestBridge;
let sim: TwilioSimulator;

beforeAll(async () => {
  [lk, pg] = await Promise.all([startLiveKitServer(), startPostgres()]);
  const databaseUrl = await pg.createDatabase('operator_shared');
  const env = (id: string): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    STREAM_TOKEN_SECRET: SECRET,
    BRIDGE_INSTANCE_ID: id,
    API_KEY,
    CONSOLE_USERS: `alice:${PASSWORD}`,
    TRANSFER_ALLOWLIST: TRANSFER_TO,
  });
  a = await startTestBridge(lk, env('bridge-a'));
  b = await startTestBridge(lk, { ...env('bridge-b'), PUBLIC_URL: a.publicUrl });
  // The balancer: the voice webhook to A, the media socket and every later request to B.
  const [httpA, wsA] = [a.publicUrl, a.publicUrl.replace(/^http/, 'ws')];
  const [httpB, wsB] = [b.publicUrl, b.publicUrl.replace(/^http/, 'ws')];
  sim = new TwilioSimulator({
    authToken: AUTH_TOKEN,
    rewriteUrl: (url) => {
      if (url.startsWith(`${httpA}/twilio/voice`)) return url;
      if (url.startsWith(wsA)) return wsB + url.slice(wsA.length);
      return url.startsWith(httpA) ? httpB + url.slice(httpA.length) : url;
    },
  });
}, 60_000);

afterAll(async () => {
  await sim?.hangupAll().catch(() => undefined);
  await a?.close();
  await b?.close();
  await lk?.stop();
  await pg?.stop();
  await dispose();
});

/** An operator logged in to the console of the bridge at `base`. */
async function operatorOn(base: string) {
  const login = await fetch(`${base}/api/operator/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-callbridge-console': '1' },
    body: JSON.stringify({ name: 'alice', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  return async (path: string, body: unknown = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-callbridge-console': '1' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
}

/** A call answered by A and carried by B, with a stand-in agent whose tone the caller hears. */
async function callCarriedByB() {
  const call = await sim.placeInboundCall({
    voiceUrl: `${a.publicUrl}/twilio/voice`,
    statusCallbackUrl: `${a.publicUrl}/twilio/status`,
    from: '+15551230001',
    to: '+15559870000',
  });
  expect(call.streamRefused).toBeNull();
  const standIn = await joinStandIn(lk, call.callSid, { kind: 'agent' });
  await waitFor('B carries the call', () => b.bridge.registry.get(call.callSid)?.operatorTransfer);
  await waitFor('A lets go of it', () => !a.bridge.registry.get(call.callSid));
  const store = await a.bridge.store;
  await waitFor('the record names B', async () => (await store.get(call.callSid))?.instanceId === 'bridge-b');
  await standIn.setState('speaking');
  const stop = keepPlaying(standIn.source, 440);
  await waitFor('the caller hears the agent through B', () => hears440(call), { timeoutMs: 10_000 });
  return { call, standIn, stop };
}

function hears440(call: SimulatedCall): boolean {
  const last = lastHeard(call, 300);
  return !!last && powerAt(last, 440) > 1e-3;
}

describe('operator actions on a call another bridge carries', () => {
  it('ends it from A: B hangs up on the caller, and the record says who did it', async () => {
    const { call, standIn, stop } = await callCarriedByB();
    try {
      const act = await operatorOn(a.publicUrl);
      const ended = await act(`/api/operator/calls/${call.callSid}/end`);
      expect(ended).toEqual({ status: 200, body: { sid: call.callSid, outcome: 'operator_ended' } });
      await call.ended; // the caller is hung up on, by B
      expect(call.said).toEqual([]);
      expect(b.bridge.registry.get(call.callSid)).toBeUndefined();
      const record = await apiClient(a.publicUrl).waitForCall(call.callSid, (c) => c.outcome !== null);
      expect(record.outcome).toBe('operator_ended');
      expect(record.outcome_reason).toBe('ended by operator alice');
      expect(record.operator_actions.map((x: any) => [x.operator, x.action, x.result])).toEqual([
        ['alice', 'end', 'ok'],
      ]);
      const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
      await waitFor(
        'room deleted',
        async () => (await rooms.listRooms([`call-${call.callSid}`])).length === 0,
      );
    } finally {
      await stop();
      await standIn.agent.disconnect();
    }
  });

  it('transfers it from A through B’s transfer path (same allow-list), and refuses what B refuses', async () => {
    const { call, standIn, stop } = await callCarriedByB();
    try {
      const act = await operatorOn(a.publicUrl);
      const path = `/api/operator/calls/${call.callSid}/transfer`;
      const refused = await act(path, { to: '+15550000000' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('transfer_not_allowed');
      const ok = await act(path, { to: TRANSFER_TO });
      expect(ok).toEqual({ status: 200, body: { sid: call.callSid, transferred_to: TRANSFER_TO } });
      await call.ended;
      expect(call.dialed).toEqual([TRANSFER_TO]); // Twilio ran B's warm transfer <Dial>
      const record = await apiClient(a.publicUrl).waitForCall(
        call.callSid,
        (c) => c.outcome !== null && c.operator_actions.length === 2,
      );
      expect(record.outcome).toBe('transferred');
      expect(record.operator_actions.map((x: any) => [x.action, x.detail, x.result])).toEqual([
        ['transfer', { to: '+15550000000' }, 'transfer_not_allowed'],
        ['transfer', { to: TRANSFER_TO }, 'ok'],
      ]);
    } finally {
      await stop();
      await standIn.agent.disconnect();
    }
  });

  it('answers 504 naming the carrier when the instance carrying the call does not answer', async () => {
    // A call whose carrier stopped before Twilio reconnected it elsewhere: its record is live and
    // names an instance that no longer listens.
    const sid = `CA${'d'.repeat(32)}`;
    const store = await a.bridge.store;
    await store.create({
      ...{ callSid: sid, direction: 'inbound', from: '+15551230002', to: '+15559870000' },
      ...{ instanceId: 'bridge-gone', status: 'in-progress', createdAt: Date.now(), room: `call-${sid}` },
      streamStartedAt: Date.now(),
    });
    const act = await operatorOn(a.publicUrl);
    const res = await act(`/api/operator/calls/${sid}/end`);
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('carrier_unreachable');
    expect(res.body.error.message).toContain('bridge-gone');
    const record = await apiClient(a.publicUrl).waitForCall(sid, (c) => c.operator_actions.length === 1);
    expect(record.outcome).toBeNull(); // not claimed to have ended
    expect(record.operator_actions[0]).toMatchObject({ action: 'end', result: 'carrier_unreachable' });
    // LiveKit carries a listener's audio: the token comes from the record's room, whoever carries it.
    const token = await act(`/api/operator/calls/${sid}/token`, { mode: 'listen' });
    expect(token.status).toBe(200);
    expect(token.body.room).toBe(`call-${sid}`);
  });
});

describe('stream tokens across bridges', () => {
  it('refuses on B a token already used on A, though the records would let B take the call', async () => {
    const call = await a.placeCall(); // webhook and stream on A
    await waitFor('A carries the call', () => a.bridge.registry.get(call.callSid)?.streamSid);
    const parameters = call.twiml!.summary.stream!.parameters;
    // What failover.ts records when A has died and Twilio's request after <Connect> reaches B:
    // from here a new stream of this call may be taken by any instance.
    const store = await a.bridge.store;
    await store.addStatusEvent(call.callSid, {
      ...{ status: 'stream-lost', at: Date.now() },
      detail: 'bridge bridge-a stopped; reconnecting the caller',
    });
    // The token A's stream used, captured and replayed at B (signed for the public URL, A's).
    const wsA = a.publicUrl.replace(/^http/, 'ws');
    const wsB = b.publicUrl.replace(/^http/, 'ws');
    const replay = await b.sim.openStream({
      ...{ streamUrl: `${wsA}/twilio/media`, callSid: call.callSid, parameters },
      rewriteUrl: (url) => wsB + url.slice(wsA.length),
    });
    let closeCode: number | undefined;
    void replay.closed.then((c) => (closeCode = c.code));
    const verdict = await waitFor('B refuses or takes the replayed stream', () =>
      closeCode !== undefined ? 'refused' : b.bridge.registry.get(call.callSid)?.streamSid && 'taken',
    );
    expect(verdict).toBe('refused');
    expect(closeCode).toBe(1008);
    expect(
      await metricValue(b.bridge, 'callbridge_rejected_total', { reason: 'stream_token_replayed' }),
    ).toBe(1);
    expect(b.bridge.registry.get(call.callSid)).toBeUndefined();
    expect(a.bridge.registry.get(call.callSid)?.streamSid).toBeDefined(); // the genuine stream is untouched
    await call.hangup();
  });
});
