// What an attacker who can reach the bridge (or steal one of its tokens) can and cannot do:
// replayed webhooks, signatures for other URLs and params, stream tokens from another instance or
// for a call that is over, and the reach of the LiveKit token the bridge gives the phone side.
// Complements bridge.guards.test.ts, which covers missing/forged signatures and bad/expired/
// replayed/foreign stream tokens.
import { randomBytes } from 'node:crypto';
import { computeStreamUpgradeSignature, computeTwilioSignature } from '@callbridge/twilio-media';
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import {
  AudioSource,
  dispose,
  LocalAudioTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import {
  AgentDispatchClient,
  RoomServiceClient,
  TokenVerifier,
  TrackSource as ServerTrackSource,
} from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCallRooms } from '../src/livekit/call-rooms.js';
import { rawRequest, signedForm, streamTokenOf, voiceForm } from './_fuzz-client.js';
import { AUTH_TOKEN, metricValue, startTestBridge, waitFor, type TestBridge } from './_harness.js';

const SECRET = 'security-stream-token-secret-0123456789';
const ACCOUNT = 'AC' + 'b'.repeat(32);
const newCallSid = () => 'CA' + randomBytes(16).toString('hex');

let lk: LiveKitServer;
let tb: TestBridge;
let roomService: RoomServiceClient;
let dispatches: AgentDispatchClient;

beforeAll(async () => {
  lk = await startLiveKitServer();
  // One line: whether a replayed webhook takes a second line is then directly visible.
  tb = await startTestBridge(lk, { STREAM_TOKEN_SECRET: SECRET, MAX_CONCURRENT_CALLS: '1' });
  roomService = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
  dispatches = new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
});

afterAll(async () => {
  await tb?.close();
  await lk?.stop();
  await dispose();
});

// A failed test must not hold the single line for the next one.
afterEach(async () => {
  await Promise.all(tb.bridge.registry.all().map((c) => completed(c.callSid)));
  await waitFor('no call left', () => tb.bridge.registry.active === 0 || undefined);
});

const voiceUrl = () => `${tb.publicUrl}/twilio/voice`;
const statusUrl = () => `${tb.publicUrl}/twilio/status`;
const streamUrl = () => `${tb.publicUrl.replace(/^http/, 'ws')}/twilio/media`;
const rejected = (reason: string) => metricValue(tb.bridge, 'callbridge_rejected_total', { reason });
const roomNames = async () => (await roomService.listRooms()).map((r) => r.name);
const completed = (callSid: string) =>
  signedForm(statusUrl(), { ...voiceForm(callSid, ACCOUNT), CallStatus: 'completed', CallDuration: '3' });

describe('replayed webhooks', () => {
  it('answers a replayed voice webhook for the same call without a second room, dispatch or line', async () => {
    const callSid = newCallSid();
    const form = voiceForm(callSid, ACCOUNT);
    // Byte-identical requests, same signature: what Twilio's retry (or an eavesdropper) sends.
    const first = await signedForm(voiceUrl(), form);
    const replay = await signedForm(voiceUrl(), form);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    const [token1, token2] = [streamTokenOf(first.body), streamTokenOf(replay.body)];
    expect(token1).toBeDefined();
    expect(token2).toBeDefined();
    expect(token2).not.toBe(token1);

    const room = `call-${callSid}`;
    expect((await roomNames()).filter((r) => r === room)).toHaveLength(1);
    // LiveKit also lists its own automatic dispatch (agentName "") for every room it creates.
    const ours = (await dispatches.listDispatch(room)).filter((d) => d.agentName === 'callbridge-agent');
    expect(ours).toHaveLength(1);
    expect(tb.bridge.registry.active).toBe(1);
    // The only line is taken by that call: a different caller is told we are busy.
    const other = await signedForm(voiceUrl(), voiceForm(newCallSid(), ACCOUNT));
    expect(other.status).toBe(200);
    expect(streamTokenOf(other.body)).toBeUndefined();
    expect(other.body).toMatch(/<Hangup\s*\/>/);
    expect(await rejected('capacity')).toBe(1);

    // Both answers carry a token, but the call streams once: the second stream is refused.
    const stream = await tb.sim.openStream({
      streamUrl: streamUrl(),
      callSid,
      parameters: { callSid, streamToken: token1! },
    });
    await waitFor('stream attached', () => tb.bridge.registry.get(callSid)?.streamSid);
    const duplicate = await tb.sim.openStream({
      streamUrl: streamUrl(),
      callSid,
      parameters: { callSid, streamToken: token2! },
    });
    expect((await duplicate.closed).code).toBe(1008);
    expect(await rejected('duplicate_stream')).toBe(1);
    expect(tb.bridge.registry.get(callSid)?.streamSid).toBe(stream.streamSid);

    // A replayed "completed" status ends the call once and is otherwise harmless.
    const endedBefore = await metricValue(tb.bridge, 'callbridge_calls_total');
    expect((await completed(callSid)).status).toBe(204);
    expect((await completed(callSid)).status).toBe(204);
    expect((await stream.closed).code).toBe(1000);
    await waitFor('call released', () => tb.bridge.registry.active === 0 || undefined);
    expect(await metricValue(tb.bridge, 'callbridge_calls_total')).toBe(endedBefore + 1);
    await waitFor('room deleted', async () => !(await roomNames()).includes(room) || undefined);
  });

  it('answers concurrent retries of one call as one call', async () => {
    const callSid = newCallSid();
    const form = voiceForm(callSid, ACCOUNT);
    // Twilio retries a webhook that timed out while the first attempt may still be setting up.
    const answers = await Promise.all([0, 1, 2, 3, 4].map(() => signedForm(voiceUrl(), form)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.every((a) => streamTokenOf(a.body) !== undefined)).toBe(true);
    expect(tb.bridge.registry.active).toBe(1);
    const room = `call-${callSid}`;
    expect((await roomNames()).filter((r) => r === room)).toHaveLength(1);
    const ours = (await dispatches.listDispatch(room)).filter((d) => d.agentName === 'callbridge-agent');
    expect(ours).toHaveLength(1);
  });
});

describe('signatures bound to URL and parameters', () => {
  it('refuses a webhook signed for another URL, path, query or parameter set, and creates nothing', async () => {
    const invalidBefore = await rejected('signature_invalid');
    const form = voiceForm(newCallSid(), ACCOUNT);
    const attempts = await Promise.all([
      // A genuine signature for our status callback, replayed against the voice webhook.
      signedForm(voiceUrl(), form, { signedUrl: statusUrl() }),
      // Signed for another host (an attacker's own Twilio app pointing at their server).
      signedForm(voiceUrl(), form, { signedUrl: 'https://attacker.example.com/twilio/voice' }),
      // Signed without the query string that was sent, and with one that was not.
      signedForm(`${voiceUrl()}?From=%2B15550000000`, form, { signedUrl: voiceUrl() }),
      signedForm(voiceUrl(), form, { signedUrl: `${voiceUrl()}?a=1` }),
      // Parameters changed or added after signing.
      rawRequest(voiceUrl(), {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': computeTwilioSignature(AUTH_TOKEN, voiceUrl(), form),
        },
        body: new URLSearchParams({ ...form, From: '+15550001111' }).toString(),
      }),
      rawRequest(voiceUrl(), {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': computeTwilioSignature(AUTH_TOKEN, voiceUrl(), form),
        },
        body: new URLSearchParams({ ...form, ForwardedFrom: '+15550001111' }).toString(),
      }),
    ]);
    expect(attempts.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403]);
    expect(await rejected('signature_invalid')).toBe(invalidBefore + attempts.length);
    expect(tb.bridge.registry.active).toBe(0);
    expect((await roomNames()).filter((r) => r === `call-${form.CallSid}`)).toEqual([]);
  });

  it('refuses a media socket whose upgrade was signed for another URL', async () => {
    const before = await rejected('ws_signature_invalid');
    const upgrade = (signedFor: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(streamUrl(), {
          headers: { 'x-twilio-signature': computeStreamUpgradeSignature(AUTH_TOKEN, signedFor) },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => undefined);
      });
    const statuses = await Promise.all([
      upgrade(voiceUrl()),
      upgrade(`${streamUrl()}?callSid=CA${'1'.repeat(32)}`),
      upgrade(streamUrl().replace('127.0.0.1', 'attacker.example.com')),
      upgrade(streamUrl().replace(/^ws/, 'http')),
    ]);
    expect(statuses).toEqual([403, 403, 403, 403]);
    expect(await rejected('ws_signature_invalid')).toBe(before + 4);
  });
});

describe('stream tokens', () => {
  it('refuses a token minted by a bridge with another STREAM_TOKEN_SECRET, leaving the call usable', async () => {
    const other = await startTestBridge(lk, {
      STREAM_TOKEN_SECRET: 'another-secret-for-another-bridge-0123',
    });
    try {
      const callSid = newCallSid();
      const ours = await signedForm(voiceUrl(), voiceForm(callSid, ACCOUNT));
      const theirs = await signedForm(`${other.publicUrl}/twilio/voice`, voiceForm(callSid, ACCOUNT), {
        signedUrl: `${other.publicUrl}/twilio/voice`,
      });
      const foreignToken = streamTokenOf(theirs.body);
      expect(foreignToken).toBeDefined();

      const foreign = await tb.sim.openStream({
        streamUrl: streamUrl(),
        callSid,
        parameters: { callSid, streamToken: foreignToken! },
      });
      expect((await foreign.closed).code).toBe(1008);
      expect(await rejected('stream_token_bad_signature')).toBe(1);
      expect(tb.bridge.registry.get(callSid)?.streamSid).toBeUndefined();

      // The refused attempt did not burn the call: Twilio's genuine stream still gets in.
      const genuine = await tb.sim.openStream({
        streamUrl: streamUrl(),
        callSid,
        parameters: { callSid, streamToken: streamTokenOf(ours.body)! },
      });
      await waitFor('genuine stream attached', () => tb.bridge.registry.get(callSid)?.streamSid);
      expect(tb.bridge.registry.get(callSid)?.streamSid).toBe(genuine.streamSid);
      expect((await completed(callSid)).status).toBe(204);
      await waitFor('call released', () => tb.bridge.registry.active === 0 || undefined);
      expect((await completed(callSid)).status).toBe(204);
    } finally {
      await other.close();
    }
  });

  it('refuses an unused, unexpired token once its call has ended, without creating a room', async () => {
    const callSid = newCallSid();
    const answer = await signedForm(voiceUrl(), voiceForm(callSid, ACCOUNT));
    const token = streamTokenOf(answer.body);
    expect(token).toBeDefined();
    // The caller hangs up before the stream opens (Twilio reports it over).
    expect((await completed(callSid)).status).toBe(204);
    await waitFor('call released', () => tb.bridge.registry.active === 0 || undefined);
    await waitFor('room deleted', async () => !(await roomNames()).includes(`call-${callSid}`) || undefined);

    const before = await rejected('unknown_call');
    const late = await tb.sim.openStream({
      streamUrl: streamUrl(),
      callSid,
      parameters: { callSid, streamToken: token! },
    });
    expect((await late.closed).code).toBe(1008);
    expect(await rejected('unknown_call')).toBe(before + 1);
    expect(await roomNames()).not.toContain(`call-${callSid}`);
  });
});

describe('the LiveKit token the bridge mints for the phone participant', () => {
  const room = `call-${newCallSid()}`;
  const identity = 'phone-15551234567';
  let jwt: string;

  beforeAll(async () => {
    const rooms = createCallRooms({ url: lk.url, apiKey: lk.apiKey, apiSecret: lk.apiSecret });
    await rooms.createCallRoom(room, {
      callSid: room.slice(5),
      direction: 'inbound',
      from: '+15551234567',
      to: '+15559870000',
    });
    jwt = await rooms.phoneToken(room, identity, { 'sip.callID': room.slice(5) });
  });

  afterAll(async () => {
    await roomService.deleteRoom(room).catch(() => undefined);
  });

  it('is scoped to one room, lives at most 5 minutes and grants only what a phone needs', async () => {
    const claims = await new TokenVerifier(lk.apiKey, lk.apiSecret).verify(jwt);
    expect(claims.sub).toBe(identity);
    const nowS = Date.now() / 1000;
    expect(claims.exp).toBeDefined();
    expect(claims.exp! - nowS).toBeLessThanOrEqual(300);
    expect(claims.exp! - (claims.nbf ?? nowS)).toBeLessThanOrEqual(300);
    const video = claims.video!;
    expect(video.room).toBe(room);
    expect(video.roomJoin).toBe(true);
    expect(video.canPublishSources).toEqual(['microphone']);
    for (const grant of [
      'roomAdmin',
      'roomCreate',
      'roomList',
      'roomRecord',
      'recorder',
      'hidden',
      'agent',
      'ingressAdmin',
    ] as const) {
      expect(video[grant], grant).toBeFalsy();
    }
    // Nothing granted beyond this list (a new flag added later has to be argued for here).
    const granted = Object.entries(video)
      .filter(([, v]) => v === true)
      .map(([k]) => k)
      .sort();
    expect(granted).toEqual([
      'canPublish',
      'canPublishData',
      'canSubscribe',
      'canUpdateOwnMetadata',
      'roomJoin',
    ]);
    expect(claims.sip).toBeUndefined();
  });

  it('cannot list, create, inspect or delete rooms through the server API', async () => {
    const twirp = (method: string, body: Record<string, unknown>) =>
      rawRequest(`${lk.httpUrl}/twirp/livekit.RoomService/${method}`, {
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const results = await Promise.all([
      twirp('ListRooms', {}),
      twirp('CreateRoom', { name: 'call-attacker' }),
      twirp('ListParticipants', { room }),
      twirp('ListParticipants', { room: 'call-someone-else' }),
      twirp('DeleteRoom', { room }),
    ]);
    for (const r of results) expect([401, 403], r.body).toContain(r.status);
    expect(await roomNames()).not.toContain('call-attacker');
    expect(await roomNames()).toContain(room);
  });

  it('joins only its own room and may publish a microphone but no other source', async () => {
    const other = `call-${newCallSid()}`;
    await roomService.createRoom({ name: other, emptyTimeout: 30 });
    const phone = new Room();
    try {
      await phone.connect(lk.url, jwt, { autoSubscribe: false, dynacast: false });
      expect(phone.name).toBe(room);
      expect((await roomService.listParticipants(other)).map((p) => p.identity)).toEqual([]);

      const publish = async (source: TrackSource) => {
        const track = LocalAudioTrack.createAudioTrack(`t-${source}`, new AudioSource(48_000, 1));
        const options = new TrackPublishOptions();
        options.source = source;
        return Promise.race([
          phone.localParticipant!.publishTrack(track, options).then(() => 'published'),
          new Promise<string>((r) => setTimeout(() => r('timed out'), 4000)),
        ]).catch((err: Error) => `refused: ${err.message}`);
      };
      expect(await publish(TrackSource.SOURCE_MICROPHONE)).toBe('published');
      expect(await publish(TrackSource.SOURCE_SCREENSHARE_AUDIO)).not.toBe('published');
      // What the server holds, not what the client believes: one track, a microphone.
      const [me] = await roomService.listParticipants(room);
      expect(me?.identity).toBe(identity);
      expect(me?.tracks.map((t) => t.source)).toEqual([ServerTrackSource.MICROPHONE]);
    } finally {
      await phone.disconnect();
      await roomService.deleteRoom(other).catch(() => undefined);
    }
  });
});
