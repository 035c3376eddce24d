// The operator console's API (src/api/operator) against the real bridge, a real livekit-server and
// both record backends: login and its cookie, refusals, the all-calls live feed, end, transfer, the
// listen/take-over token (joined for real), and every action in the call record.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AudioSource,
  dispose,
  LocalAudioTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, waitFor, type TestBridge } from './_harness.js';
import { API_KEY, apiClient, readSse } from './_records-harness.js';
import { joinStandIn } from './_stand-in.js';
import { keepPlaying, lastHeard, powerAt } from './_tones.js';

let lk: LiveKitServer;
let pg: PostgresServer;
const dir = mkdtempSync(join(tmpdir(), 'callbridge-operator-'));
const PASSWORD = 'correct horse battery staple';
const TRANSFER_TO = '+15557770001';

beforeAll(async () => {
  lk = await startLiveKitServer();
  pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  await lk?.stop();
  await pg?.stop();
  await dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A bridge with the console on (no Twilio REST credentials: hang-up and transfer go through TwiML). */
async function consoleBridge(env: Record<string, string> = {}): Promise<TestBridge> {
  return startTestBridge(lk, {
    API_KEY,
    CONSOLE_USERS: `alice:${PASSWORD},bob:another-long-password`,
    TRANSFER_ALLOWLIST: TRANSFER_TO,
    ...env,
  });
}

/** An operator's browser, reduced to what matters here: its cookie and the console's header. */
function operator(base: string) {
  let cookie = '';
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(cookie && { cookie }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(method !== 'GET' && { 'x-callbridge-console': '1' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
  };
  return {
    request,
    get cookie() {
      return cookie;
    },
    async login(name = 'alice', password = PASSWORD) {
      const res = await request('POST', '/api/operator/login', { name, password });
      const set = res.headers.get('set-cookie');
      if (res.status === 200 && set) cookie = set.split(';')[0]!;
      return { ...res, setCookie: set };
    },
  };
}

describe('operator login and refusals', () => {
  it('gives no data without a session, sets a strict HttpOnly cookie, and refuses cross-site writes', async () => {
    const tb = await consoleBridge();
    try {
      const op = operator(tb.publicUrl);
      for (const path of ['/api/operator/me', '/api/operator/calls/live', '/api/calls']) {
        const res = await op.request('GET', path);
        expect(res.status, path).toBe(401);
      }
      expect((await op.login('alice', 'wrong password!')).status).toBe(401);
      expect((await op.login('mallory', PASSWORD)).status).toBe(401);
      const ok = await op.login();
      expect(ok.status).toBe(200);
      expect(ok.setCookie).toMatch(
        /^callbridge_session=v1\.[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
      );
      expect((await op.request('GET', '/api/operator/me')).body).toEqual({ operator: 'alice' });
      // The session also opens the records API (what the console's history and call pages read).
      expect((await op.request('GET', '/api/calls')).status).toBe(200);

      // Writes without the console's header, or from another origin, are refused before anything runs.
      const sid = `CA${'0'.repeat(32)}`;
      const noHeader = await op.request('POST', `/api/operator/calls/${sid}/end`, undefined, {
        'x-callbridge-console': '',
      });
      expect(noHeader.status).toBe(403);
      expect(noHeader.body.error.code).toBe('cross_site');
      const evil = await op.request('POST', `/api/operator/calls/${sid}/end`, undefined, {
        origin: 'https://evil.example',
      });
      expect(evil.body.error.code).toBe('cross_site');
      const fetchSite = await op.request(
        'POST',
        '/api/calls',
        { to: '+15554440001', task: 'x' },
        {
          'sec-fetch-site': 'cross-site',
        },
      );
      expect(fetchSite.body.error.code).toBe('cross_site');
      expect((await op.request('POST', `/api/operator/calls/${sid}/end`)).status).toBe(404);

      // A forged cookie is no session.
      const forged = await fetch(`${tb.publicUrl}/api/operator/me`, {
        headers: { cookie: op.cookie.replace(/\.[^.]+$/, '.AAAA') },
      });
      expect(forged.status).toBe(401);
      const out = await op.request('POST', '/api/operator/logout');
      expect(out.status).toBe(204);
    } finally {
      await tb.close();
    }
  });

  it('marks the cookie Secure in production', async () => {
    const tb = await consoleBridge({
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://bridge.example.com',
      LIVEKIT_API_SECRET: 'a-production-livekit-secret-0123456789',
      CONSOLE_SESSION_SECRET: 'a-production-session-secret-0123456789',
    });
    try {
      const ok = await operator(tb.publicUrl).login();
      expect(ok.status).toBe(200);
      expect(ok.setCookie).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    } finally {
      await tb.close();
    }
  });
});

describe.each(['sqlite', 'postgres'] as const)('operator actions on live calls (%s)', (backend) => {
  it('feeds calls live with agent state and latency, ends one, and records who did it', async () => {
    const env: Record<string, string> =
      backend === 'postgres'
        ? { DATABASE_URL: await pg.createDatabase('operator_actions') }
        : { SQLITE_PATH: join(dir, 'operator.sqlite') };
    const tb = await consoleBridge(env);
    const api = apiClient(tb.publicUrl);
    const op = operator(tb.publicUrl);
    await op.login();
    const feed = await readSse(`${tb.publicUrl}/api/operator/calls/live`, { cookie: op.cookie });
    try {
      expect(feed.status).toBe(200);
      await waitFor('snapshot', () => feed.events.find((e) => e.event === 'snapshot'));
      expect(feed.events[0]!.data).toEqual({ calls: [] });

      const call = await tb.placeCall({ from: '+15551230042' });
      const seen = await waitFor('the call in the live feed', () =>
        feed.events.find((e) => e.event === 'call' && e.data.sid === call.callSid),
      );
      const record = await api.waitForCall(call.callSid, (c) => c.webhook_at !== null);
      // Within a second of our webhook answering it (it is published as the call is answered).
      expect(seen.receivedAt - Date.parse(record.webhook_at)).toBeLessThan(1000);
      expect(seen.data).toMatchObject({
        direction: 'inbound',
        caller: '+1555…0042', // masked
        room: `call-${call.callSid}`,
        agent_state: 'none',
      });

      const standIn = await joinStandIn(lk, call.callSid);
      await waitFor('agent state listening', () =>
        feed.events.find((e) => e.data.sid === call.callSid && e.data.agent_state === 'listening'),
      );
      await standIn.setState('speaking');
      const speaking = await waitFor('agent state speaking', () =>
        feed.events.find((e) => e.data.sid === call.callSid && e.data.agent_state === 'speaking'),
      );
      expect(speaking.data.stream_started_at).not.toBeNull();
      expect(speaking.data.duration_ms).toBeGreaterThanOrEqual(0);
      expect(speaking.data).toHaveProperty('greeting_ms');
      expect(speaking.data.turn_latencies_ms).toEqual([]);

      // Keys the caller presses show in the call's events (the digits themselves are not kept).
      await call.sendDtmf('12');
      await api.waitForCall(
        call.callSid,
        (c) => c.status_events.filter((e: any) => e.status === 'dtmf').length === 2,
      );
      const withKeys = await api.waitForCall(call.callSid, () => true);
      expect(JSON.stringify(withKeys.status_events)).not.toMatch(/"detail":"[12]"/);

      // The per-call stream carries operator actions too.
      const events = await readSse(`${tb.publicUrl}/api/calls/${call.callSid}/events`, { cookie: op.cookie });
      await waitFor('snapshot', () => events.events.find((e) => e.event === 'snapshot'));

      const ended = await op.request('POST', `/api/operator/calls/${call.callSid}/end`);
      expect(ended.status).toBe(200);
      expect(ended.body).toEqual({ sid: call.callSid, outcome: 'operator_ended' });
      await call.ended; // the caller is hung up on
      expect(call.said).toEqual([]); // no apology: an operator's decision, not a failure
      await waitFor('gone from the live feed', () =>
        feed.events.find((e) => e.event === 'gone' && e.data.sid === call.callSid),
      );
      expect(feed.events.find((e) => e.event === 'gone')!.data.outcome).toBe('operator_ended');
      await events.closed;
      expect(events.events.find((e) => e.event === 'operator_action')?.data).toMatchObject({
        operator: 'alice',
        action: 'end',
        result: 'ok',
      });

      // Acting on a call that already ended: a clear error, and the attempt is in the record too.
      const again = await op.request('POST', `/api/operator/calls/${call.callSid}/end`);
      expect(again.status).toBe(409);
      expect(again.body.error).toEqual({
        code: 'call_ended',
        message: `call ${call.callSid} has already ended (operator_ended); nothing to do`,
      });
      const token = await op.request('POST', `/api/operator/calls/${call.callSid}/token`, { mode: 'listen' });
      expect(token.body.error.code).toBe('call_ended');

      const final = await api.waitForCall(call.callSid, (c) => c.operator_actions.length === 3);
      expect(final.outcome).toBe('operator_ended');
      expect(final.outcome_reason).toBe('ended by operator alice');
      expect(final.operator_actions.map((a: any) => [a.operator, a.action, a.result])).toEqual([
        ['alice', 'end', 'ok'],
        ['alice', 'end', 'call_ended'],
        ['alice', 'listen', 'call_ended'],
      ]);
      expect(Date.parse(final.operator_actions[0].at)).toBeLessThanOrEqual(Date.parse(final.ended_at));
      await standIn.agent.disconnect();
    } finally {
      feed.stop();
      await tb.close();
    }
  });
});

/** Which of two tones the caller heard in the last 300 ms, if one is 10× (10 dB) the other. */
function hearing(call: { heardPcm(): Int16Array }, a: number, b: number): number | undefined {
  const last = lastHeard(call, 300);
  if (!last) return undefined;
  const [pa, pb] = [powerAt(last, a), powerAt(last, b)];
  if (pa > 10 * pb && pa > 1e-4) return a;
  if (pb > 10 * pa && pb > 1e-4) return b;
  return undefined;
}

describe('operator take-over', () => {
  it('the caller hears the operator instead of the agent until the operator hands back by leaving', async () => {
    const tb = await consoleBridge();
    const op = operator(tb.publicUrl);
    await op.login();
    const stops: (() => Promise<void>)[] = [];
    try {
      const call = await tb.placeCall();
      const standIn = await joinStandIn(lk, call.callSid);
      await standIn.setState('speaking');
      const stopAgent = keepPlaying(standIn.source, 440);
      stops.push(stopAgent);
      await waitFor('the caller hears the agent', () => hearing(call, 440, 1000) === 440, {
        timeoutMs: 10_000,
      });

      const t = await op.request('POST', `/api/operator/calls/${call.callSid}/token`, { mode: 'takeover' });
      expect(t.status).toBe(200);
      const operatorRoom = new Room();
      await operatorRoom.connect(t.body.url, t.body.token, { autoSubscribe: true, dynacast: false });
      const source = new AudioSource(48_000, 1, 100);
      const publish = new TrackPublishOptions();
      publish.source = TrackSource.SOURCE_MICROPHONE;
      await operatorRoom.localParticipant!.publishTrack(
        LocalAudioTrack.createAudioTrack('mic', source),
        publish,
      );
      const stopOperator = keepPlaying(source, 1000);
      stops.push(stopOperator);
      // The agent keeps talking in the room; the caller hears only the operator.
      await waitFor('the caller hears the operator', () => hearing(call, 440, 1000) === 1000, {
        timeoutMs: 10_000,
      });
      expect(tb.bridge.live.all()[0]?.agentState).toBe('operator');
      const during = call.heardPcm().length;
      await waitFor('a second more of the operator', () => call.heardPcm().length >= during + 8000);
      const second = call.heardPcm().subarray(during, during + 8000);
      expect(powerAt(second, 1000)).toBeGreaterThan(100 * powerAt(second, 440));

      // Hand back: the operator leaves, and the agent has the call again.
      await stopOperator();
      await operatorRoom.disconnect();
      await source.close();
      await waitFor('the caller hears the agent again', () => hearing(call, 440, 1000) === 440, {
        timeoutMs: 10_000,
      });
      expect(tb.bridge.live.all()[0]?.agentState).toBe('speaking');
      await stopAgent();
      await call.hangup();
      await standIn.agent.disconnect();
    } finally {
      for (const stop of stops) await stop();
      await tb.close();
    }
  });
});

describe('operator transfer and listen-in token', () => {
  it('transfers through the agent transfer path (same allow-list) and records refusals', async () => {
    const tb = await consoleBridge();
    const api = apiClient(tb.publicUrl);
    const op = operator(tb.publicUrl);
    await op.login('bob', 'another-long-password');
    try {
      const call = await tb.placeCall();
      const standIn = await joinStandIn(lk, call.callSid);
      await waitFor('call live', () => tb.bridge.registry.get(call.callSid)?.operatorTransfer);
      const refused = await op.request('POST', `/api/operator/calls/${call.callSid}/transfer`, {
        to: '+15550000000',
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toEqual({
        code: 'transfer_not_allowed',
        message: 'transfer target +15550000000 is not in TRANSFER_ALLOWLIST',
      });
      const bad = await op.request('POST', `/api/operator/calls/${call.callSid}/transfer`, { to: 'me' });
      expect(bad.status).toBe(400);
      const ok = await op.request('POST', `/api/operator/calls/${call.callSid}/transfer`, {
        to: TRANSFER_TO,
      });
      expect(ok.status).toBe(200);
      await call.ended;
      expect(call.dialed).toEqual([TRANSFER_TO]); // Twilio ran the warm transfer's <Dial>
      const record = await api.waitForCall(
        call.callSid,
        (c) => c.outcome !== null && c.operator_actions.length === 2,
      );
      expect(record.outcome).toBe('transferred');
      expect(record.operator_actions.map((a: any) => [a.operator, a.action, a.detail, a.result])).toEqual([
        ['bob', 'transfer', { to: '+15550000000' }, 'transfer_not_allowed'],
        ['bob', 'transfer', { to: TRANSFER_TO }, 'ok'],
      ]);
      await standIn.agent.disconnect();
    } finally {
      await tb.close();
    }
  });

  it('hands out a short-lived token for one room: hidden and subscribe-only to listen, microphone to take over', async () => {
    const tb = await consoleBridge({ CONSOLE_LISTEN_TOKEN_TTL_S: '30' });
    const op = operator(tb.publicUrl);
    await op.login();
    try {
      const call = await tb.placeCall();
      const standIn = await joinStandIn(lk, call.callSid);
      const room = `call-${call.callSid}`;
      const listen = await op.request('POST', `/api/operator/calls/${call.callSid}/token`, {
        mode: 'listen',
      });
      expect(listen.status).toBe(200);
      expect(listen.body).toMatchObject({ url: lk.url, room, mode: 'listen' });
      const claims = await new TokenVerifier(lk.apiKey, lk.apiSecret).verify(listen.body.token);
      expect(claims.video).toMatchObject({
        room,
        roomJoin: true,
        canSubscribe: true,
        canPublish: false,
        canPublishData: false,
        hidden: true,
      });
      expect(claims.exp! - claims.nbf!).toBe(30);
      const takeover = await op.request('POST', `/api/operator/calls/${call.callSid}/token`, {
        mode: 'takeover',
      });
      const takeoverClaims = await new TokenVerifier(lk.apiKey, lk.apiSecret).verify(takeover.body.token);
      expect(takeoverClaims.video).toMatchObject({
        room,
        canPublish: true,
        canPublishSources: ['microphone'],
      });
      expect(takeoverClaims.video?.hidden).toBeFalsy();

      // Joined for real: the listener hears the phone and the agent, and they do not see it.
      const listener = new Room();
      await listener.connect(listen.body.url, listen.body.token, { autoSubscribe: true, dynacast: false });
      await waitFor('both sides subscribed', () => {
        const ids = [...listener.remoteParticipants.values()]
          .filter((p) => [...p.trackPublications.values()].some((t) => t.subscribed))
          .map((p) => p.identity);
        return ids.some((id) => id.startsWith('phone-')) && ids.includes(standIn.agent.identity)
          ? ids
          : undefined;
      });
      expect([...standIn.agent.room.remoteParticipants.keys()].some((id) => id.startsWith('operator-'))).toBe(
        false,
      );
      await listener.disconnect();
      await call.hangup();
      await standIn.agent.disconnect();
    } finally {
      await tb.close();
    }
  });
});
