/**
 * Two bridges behind one public address, sharing a real PostgreSQL and a real livekit-server, as a
 * round-robin load balancer would use them: Twilio's voice webhook reaches bridge A, the call's
 * Media Stream reaches bridge B. The call works (the caller hears the agent), A lets go of it
 * without deleting its room, the record is one call with a truthful outcome, a dashboard on A sees
 * the events of the call B carries, and an outbound rate limit holds across both bridges.
 */
import { rmsDbfs } from '@callbridge/testkit/audio-fixtures';
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { TwilioRestSimulator, TwilioSimulator } from '@callbridge/testkit/twilio';
import { dispose } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveCallEvent } from '../src/calls/live-calls.js';
import { AUTH_TOKEN, metricValue, startTestBridge, waitFor, type TestBridge } from './_harness.js';
import { API_KEY, apiClient, OUR_NUMBER, readSse } from './_records-harness.js';
import { joinStandIn, sayToCaller } from './_stand-in.js';

const SECRET = 'shared-stream-token-secret-0123456789';

let lk: LiveKitServer;
let pg: PostgresServer;
let rest: TwilioRestSimulator;
let a: TestBridge;
let b: TestBridge;

beforeAll(async () => {
  [lk, pg] = await Promise.all([startLiveKitServer(), startPostgres()]);
  const databaseUrl = await pg.createDatabase('shared');
  // Outbound calls fail at once: the rate-limit test counts placements, not conversations.
  rest = await new TwilioRestSimulator({
    authToken: AUTH_TOKEN,
    callees: () => ({ outcome: 'failed' }),
    ownedNumbers: [OUR_NUMBER],
  }).start();
  const env = (id: string): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    STREAM_TOKEN_SECRET: SECRET,
    BRIDGE_INSTANCE_ID: id,
    // Shorter than the call: the old bridge A deleted the room when its timer fired mid-call.
    STREAM_START_TIMEOUT_S: '1',
    TWILIO_ACCOUNT_SID: rest.accountSid,
    TWILIO_API_BASE_URL: rest.baseUrl,
    API_KEY,
    OUTBOUND_FROM: OUR_NUMBER,
    OUTBOUND_ALLOWLIST: '+1555444*',
    OUTBOUND_LIMIT_GLOBAL_HOUR: '3',
  });
  a = await startTestBridge(lk, env('bridge-a'), { accountSid: rest.accountSid });
  // One public address for both (what Twilio signs and the TwiML names): A's, the "balancer".
  b = await startTestBridge(
    lk,
    { ...env('bridge-b'), PUBLIC_URL: a.publicUrl },
    { accountSid: rest.accountSid },
  );
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await rest?.close();
  await lk?.stop();
  await pg?.stop();
  await dispose();
});

describe('two bridges sharing PostgreSQL', () => {
  it('carries a call whose webhook reached A and whose stream reached B', async () => {
    // The balancer: webhooks to A, the media socket to B.
    const wsA = a.publicUrl.replace(/^http/, 'ws');
    const wsB = b.publicUrl.replace(/^http/, 'ws');
    const sim = new TwilioSimulator({
      authToken: AUTH_TOKEN,
      accountSid: rest.accountSid,
      rewriteUrl: (url) => (url.startsWith(`${wsA}/twilio/media`) ? wsB + url.slice(wsA.length) : url),
    });
    const liveOnA: LiveCallEvent[] = [];
    const unsubscribe = a.bridge.live.subscribe((e) => liveOnA.push(e));
    const call = await sim.placeInboundCall({
      voiceUrl: `${a.publicUrl}/twilio/voice`,
      statusCallbackUrl: `${a.publicUrl}/twilio/status`,
      from: '+15551230001',
      to: '+15559870000',
    });
    const room = `call-${call.callSid}`;
    const events = await readSse(`${a.publicUrl}/api/calls/${call.callSid}/events`);
    const standIn = await joinStandIn(lk, call.callSid, { kind: 'agent' });
    try {
      expect(call.streamRefused).toBeNull();
      await waitFor('B carries the call', () => b.bridge.registry.get(call.callSid)?.streamSid);
      // A answered it and let go (its stream started elsewhere): not active there, room intact.
      await waitFor('A lets go of the call', () => !a.bridge.registry.get(call.callSid));
      expect(await metricValue(a.bridge, 'callbridge_active_calls')).toBe(0);
      expect(await metricValue(b.bridge, 'callbridge_active_calls')).toBe(1);

      // The agent speaks; the caller hears it through B.
      const { heard, match } = await sayToCaller(
        standIn,
        call,
        'Hello, this is the agent. How can I help you today?',
      );
      expect(rmsDbfs(heard)).toBeGreaterThan(-45);
      expect(match.median).toBeGreaterThan(0.75);
      expect(match.inOrder).toBe(true);
      expect(call.violations).toEqual([]);

      // Well past A's stream-start timeout (1 s): the room is still there, the call still up.
      const roomService = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
      expect((await roomService.listRooms([room])).map((r) => r.name)).toEqual([room]);
      const aliveFor = performance.now() - call.webhookAnsweredAtMs;
      expect(aliveFor).toBeGreaterThan(1000);

      // A's dashboards see B's events: the per-call SSE (agent joined, written by B) and the
      // console's all-calls feed (the stream start B reported).
      await waitFor('agent-joined on A’s SSE', () =>
        events.events.some((e) => e.event === 'status' && e.data.status === 'agent-joined'),
      );
      await waitFor('A’s live feed shows the stream B carries', () =>
        liveOnA.some((e) => e.type === 'upsert' && e.call.callSid === call.callSid && e.call.streamStartedAt),
      );
    } finally {
      unsubscribe();
      await call.hangup();
      await standIn.agent.disconnect();
    }
    await waitFor('ended on A’s SSE', () => events.events.some((e) => e.event === 'ended'));
    events.stop();
    const ended = events.events.find((e) => e.event === 'ended')!;
    expect(ended.data).toMatchObject({ sid: call.callSid, outcome: 'caller_hung_up' });
    await waitFor('A’s live feed drops the call', () =>
      a.bridge.live.all().every((c) => c.callSid !== call.callSid),
    );

    // One call in the records, ended truthfully, carried by B; the room is gone.
    const api = apiClient(a.publicUrl);
    const record = await api.waitForCall(call.callSid, (c) => c.outcome !== null);
    expect(record).toMatchObject({ sid: call.callSid, outcome: 'caller_hung_up', direction: 'inbound' });
    const all = await api.request('GET', '/api/calls?direction=inbound');
    expect(all.body.calls.filter((c: { sid: string }) => c.sid === call.callSid)).toHaveLength(1);
    const store = await a.bridge.store;
    expect((await store.get(call.callSid))?.instanceId).toBe('bridge-b');
    const statuses = (await store.statusEvents(call.callSid)).map((s) => s.status);
    expect(statuses.filter((s) => s === 'stream-started')).toHaveLength(1);
    const roomService = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    await waitFor('room deleted', async () => (await roomService.listRooms([room])).length === 0);
    expect(await metricValue(a.bridge, 'callbridge_calls_total', { outcome: 'no_stream' })).toBe(0);
  });

  it('holds an outbound rate limit across both bridges', async () => {
    const before = rest.calls.size;
    // Four requests at each bridge at once, OUTBOUND_LIMIT_GLOBAL_HOUR=3. Each bridge handles its
    // own one at a time, so without a shared lock both took a slot in each round: 4 placed.
    const place = (tb: TestBridge, i: number) =>
      apiClient(tb.publicUrl).request('POST', '/api/calls', { to: `+155544400${10 + i}`, task: 'ping' });
    const results = await Promise.all([0, 1, 2, 3].flatMap((i) => [place(a, i), place(b, i + 4)]));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
    expect(rest.calls.size - before).toBe(3);
  });
});
