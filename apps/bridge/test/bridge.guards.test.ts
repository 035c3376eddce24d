// Who may get in, and what bad input does: signatures, stream tokens, capacity, hostile messages.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { computeStreamUpgradeSignature, createStreamToken } from '@callbridge/twilio-media';
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { waitFor } from '@callbridge/testkit/wait';
import { dispose } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signedForm, streamTokenOf, voiceForm } from './_fuzz-client.js';
import { AUTH_TOKEN, metricValue, startTestBridge, type TestBridge } from './_harness.js';

const CALLER = '+15551230002';
const STREAM_SECRET = 'stream-token-secret-for-tests-0123456789';

let lk: LiveKitServer;
let tb: TestBridge;
let roomService: RoomServiceClient;

beforeAll(async () => {
  lk = await startLiveKitServer();
  tb = await startTestBridge(lk, { STREAM_TOKEN_SECRET: STREAM_SECRET });
  roomService = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
});

afterAll(async () => {
  await tb?.close();
  await lk?.stop();
  await dispose();
});

const streamUrl = () => `${tb.publicUrl.replace(/^http/, 'ws')}/twilio/media`;
const rejected = (reason: string) => metricValue(tb.bridge, 'callbridge_rejected_total', { reason });
const ended = (outcome?: string) =>
  metricValue(tb.bridge, 'callbridge_calls_total', outcome ? { outcome } : {});

/**
 * Counters of the bridge this file shares, as changes since now: a test reads only what it caused
 * (and stays correct if vitest runs it a second time).
 */
async function counters<K extends string>(read: Record<K, () => Promise<number>>) {
  const keys = Object.keys(read) as K[];
  const before = await Promise.all(keys.map((k) => read[k]()));
  return async (): Promise<Record<K, number>> => {
    const now = await Promise.all(keys.map((k) => read[k]()));
    return Object.fromEntries(keys.map((k, i) => [k, now[i]! - before[i]!])) as Record<K, number>;
  };
}

/** The bridge's phone participant for this call is in the room: the call is live. */
const phoneInRoom = (call: SimulatedCall) =>
  waitFor(`phone participant of ${call.callSid} in its room`, async () =>
    (await roomService.listParticipants(`call-${call.callSid}`)).some((p) => p.identity.startsWith('phone-')),
  );

/** The bridge's own "call ended": the record carries its outcome once teardown has run. */
const outcomeOf = (call: SimulatedCall) =>
  waitFor(
    `call ${call.callSid} to end`,
    async () => (await (await tb.bridge.store).get(call.callSid))?.outcome,
  );

/** A `media` message as Twilio sends it (numbers as strings). */
function inboundMedia(streamSid: string, payload: string): string {
  return JSON.stringify({
    event: 'media',
    sequenceNumber: '7',
    streamSid,
    media: { track: 'inbound', chunk: '6', timestamp: '120', payload },
  });
}

/** A raw Media Streams client: for orders of events the simulator would never produce. */
function rawStream(): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(streamUrl(), {
    headers: { 'x-twilio-signature': computeStreamUpgradeSignature(AUTH_TOKEN, streamUrl()) },
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

describe('webhook and socket signatures', () => {
  it('answers 400 to a webhook without a signature and 403 to a forged one, creating no room', async () => {
    const missing = await tb.placeCall({ from: CALLER, signature: 'missing' });
    const forged = await tb.placeCall({ from: CALLER, signature: 'forged' });
    expect(missing.webhook).toMatchObject({ ok: true, status: 400 });
    expect(forged.webhook).toMatchObject({ ok: true, status: 403 });
    expect(await rejected('signature_missing')).toBe(1);
    expect(await rejected('signature_invalid')).toBe(1);
    const rooms = (await roomService.listRooms()).map((r) => r.name);
    expect(rooms).not.toContain(`call-${missing.callSid}`);
    expect(rooms).not.toContain(`call-${forged.callSid}`);
  });

  it('refuses a media socket whose upgrade is unsigned (400) or forged (403)', async () => {
    const forged = await tb.placeCall({ from: CALLER, streamSignature: 'forged' });
    const missing = await tb.placeCall({ from: CALLER, streamSignature: 'missing' });
    expect(forged.streamRefused?.httpStatus).toBe(403);
    expect(missing.streamRefused?.httpStatus).toBe(400);
    expect(await rejected('ws_signature_invalid')).toBeGreaterThanOrEqual(1);
    expect(await rejected('ws_signature_missing')).toBeGreaterThanOrEqual(1);
  });
});

describe('stream tokens', () => {
  it('refuses a bad token, a token for another call, a replayed token and a call we never answered', async () => {
    const refusals = await counters({
      malformed: () => rejected('stream_token_malformed'),
      replayed: () => rejected('stream_token_replayed'),
      wrongCall: () => rejected('stream_token_wrong_call'),
      expired: () => rejected('stream_token_expired'),
      unknownCall: () => rejected('unknown_call'),
    });
    const good = await tb.placeCall({ from: CALLER });
    const params = good.twiml!.summary.stream!.parameters;
    expect(Object.keys(params).sort()).toEqual(['callSid', 'streamToken']);

    const garbage = await tb.sim.openStream({
      streamUrl: streamUrl(),
      callSid: good.callSid,
      parameters: { callSid: good.callSid, streamToken: 'not-a-token' },
    });
    const replay = await tb.sim.openStream({
      streamUrl: streamUrl(),
      callSid: good.callSid,
      parameters: params,
    });
    const otherCall = await tb.sim.openStream({ streamUrl: streamUrl(), parameters: params });
    const neverAnswered = 'CA' + 'f'.repeat(32);
    const unknown = await tb.sim.openStream({
      streamUrl: streamUrl(),
      callSid: neverAnswered,
      parameters: {
        callSid: neverAnswered,
        streamToken: createStreamToken({ secret: STREAM_SECRET, callSid: neverAnswered, ttlMs: 60_000 }),
      },
    });
    const expired = await tb.sim.openStream({
      streamUrl: streamUrl(),
      callSid: good.callSid,
      parameters: {
        streamToken: createStreamToken({
          secret: STREAM_SECRET,
          callSid: good.callSid,
          ttlMs: 1000,
          nowMs: Date.now() - 5000,
        }),
      },
    });
    for (const call of [garbage, replay, otherCall, unknown, expired]) {
      expect((await call.closed).code).toBe(1008);
    }
    const refused = await refusals();
    expect(refused.malformed).toBeGreaterThanOrEqual(1);
    expect(refused).toMatchObject({ replayed: 1, wrongCall: 1, expired: 1, unknownCall: 1 });
    // The genuine stream is untouched by all of that.
    expect(good.streamRefused).toBeNull();
    expect(tb.bridge.registry.get(good.callSid)?.streamSid).toBeDefined();
    await good.hangup();
  });
});

describe('hostile messages on the media socket', () => {
  it('counts and survives bad messages without touching a concurrent call', async () => {
    const refusals = await counters({
      invalidJson: () => rejected('invalid_json'),
      unknownEvent: () => rejected('unknown_event'),
      invalidPayload: async () => (await rejected('invalid_payload')) + (await rejected('invalid_message')),
      wrongStreamSid: () => rejected('wrong_stream_sid'),
      secondStart: () => rejected('second_start'),
    });
    const victim = await tb.placeCall({ from: CALLER });
    const attacker = await tb.placeCall({ from: CALLER });
    await Promise.all([phoneInRoom(victim), phoneInRoom(attacker)]);
    const before = await metricValue(tb.bridge, 'callbridge_frames_in_total');

    attacker.sendRaw('{"event": "media", "streamSid": ');
    attacker.sendRaw(JSON.stringify({ event: 'surprise', streamSid: attacker.streamSid }));
    attacker.sendRaw(inboundMedia(attacker.streamSid!, '***not base64***'));
    attacker.sendRaw(inboundMedia('MZ' + '0'.repeat(32), '/////w=='));
    attacker.sendRaw(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '99',
        streamSid: attacker.streamSid,
        start: {
          streamSid: attacker.streamSid,
          callSid: attacker.callSid,
          accountSid: 'AC' + '0'.repeat(32),
          tracks: ['inbound'],
          customParameters: {},
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    expect((await attacker.closed).code).toBe(1008); // a second start ends that stream
    const refused = await refusals();
    expect(refused.invalidJson).toBeGreaterThanOrEqual(1);
    expect(refused.unknownEvent).toBeGreaterThanOrEqual(1);
    expect(refused.invalidPayload).toBeGreaterThanOrEqual(1);
    expect(refused.wrongStreamSid).toBeGreaterThanOrEqual(1);
    expect(refused.secondStart).toBe(1);

    // The other caller is untouched: still in the registry and in its room, and its audio keeps
    // reaching the room (a second's worth of frames, 50 a second, arrives after all of that).
    expect(tb.bridge.registry.get(victim.callSid)).toBeDefined();
    await waitFor('a second of the victim caller frames', async () =>
      (await metricValue(tb.bridge, 'callbridge_frames_in_total')) >= before + 50 ? true : undefined,
    );
    expect(tb.bridge.registry.get(victim.callSid)).toBeDefined();
    await phoneInRoom(victim);
    await victim.hangup();
  });

  it('closes a socket that sends media before start (1008) or an oversized message (1009)', async () => {
    const refusals = await counters({ mediaBeforeStart: () => rejected('media_before_start') });
    const early = await rawStream();
    early.ws.send(inboundMedia('MZ' + '1'.repeat(32), '/////w=='));
    expect(await early.closed).toBe(1008);

    const big = await rawStream();
    big.ws.send(JSON.stringify({ event: 'media', padding: 'x'.repeat(100_000) }));
    expect(await big.closed).toBe(1009);
    expect(await refusals()).toEqual({ mediaBeforeStart: 1 });
  });
});

/** A client WebSocket text frame (masked, one fragment) for messages under 64 KiB. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const length =
    payload.length < 126
      ? Buffer.from([0x80 | payload.length])
      : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([Buffer.from([0x81]), length, mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

describe('the media socket hand-off', () => {
  it('loses nothing Twilio sends in the same TCP write as the upgrade: the call goes live', async () => {
    const callSid = 'CA' + 'e'.repeat(32);
    const streamSid = 'MZ' + 'e'.repeat(32);
    const accountSid = 'AC' + 'e'.repeat(32);
    const refusals = await counters({ beforeStart: () => rejected('media_before_start') });
    const answer = await signedForm(`${tb.publicUrl}/twilio/voice`, voiceForm(callSid, accountSid));
    const streamToken = streamTokenOf(answer.body);
    expect(streamToken).toBeDefined();

    // The upgrade request and the stream's first messages leave in one write, so they reach the
    // bridge in one read: the messages are already buffered when the socket is handed over.
    const url = new URL(streamUrl());
    const upgrade = [
      `GET ${url.pathname} HTTP/1.1`,
      `Host: ${url.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `X-Twilio-Signature: ${computeStreamUpgradeSignature(AUTH_TOKEN, streamUrl())}`,
      '',
      '',
    ].join('\r\n');
    const messages = [
      { event: 'connected', protocol: 'Call', version: '1.0.0' },
      {
        event: 'start',
        sequenceNumber: '1',
        streamSid,
        start: {
          streamSid,
          accountSid,
          callSid,
          tracks: ['inbound'],
          customParameters: { callSid, streamToken },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      },
      JSON.parse(inboundMedia(streamSid, '/////w==')) as object,
    ];
    const socket = connect(Number(url.port), url.hostname);
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      Buffer.concat([
        Buffer.from(upgrade, 'latin1'),
        ...messages.map((m) => maskedTextFrame(JSON.stringify(m))),
      ]),
    );
    try {
      await waitFor('the 101 answer', () => response.includes('\r\n\r\n') || undefined);
      expect(response).toMatch(/^HTTP\/1\.1 101 /);
      await waitFor('the stream accepted', () => tb.bridge.registry.get(callSid)?.streamSid);
      expect(tb.bridge.registry.get(callSid)?.streamSid).toBe(streamSid);
      await waitFor(`phone participant of ${callSid} in its room`, async () =>
        (await roomService.listParticipants(`call-${callSid}`)).some((p) => p.identity.startsWith('phone-')),
      );
      expect(await refusals()).toEqual({ beforeStart: 0 });
    } finally {
      socket.destroy();
    }
    expect(
      await waitFor(
        `call ${callSid} to end`,
        async () => (await (await tb.bridge.store).get(callSid))?.outcome,
      ),
    ).toBe('stream_dropped');
  });
});

describe('replays', () => {
  it('refuses a signed voice webhook replayed after its call ended: counted, hung up, no room, no stream', async () => {
    const call = await tb.placeCall({ from: CALLER });
    await call.hangup();
    expect(await outcomeOf(call)).toBe('caller_hung_up');
    await waitFor(
      'its room deleted',
      async () =>
        (await roomService.listRooms()).every((r) => r.name !== `call-${call.callSid}`) || undefined,
    );
    const refusals = await counters({ ended: () => rejected('call_already_ended') });
    // The same call, signed as Twilio signs it: what an attacker who captured the request replays.
    const replay = await tb.placeCall({ from: CALLER, callSid: call.callSid });
    expect(replay.webhook).toMatchObject({ ok: true, status: 200 });
    expect(replay.twiml?.summary.stream).toBeNull();
    expect(replay.twiml?.summary.hangup).toBe(true);
    expect(await refusals()).toEqual({ ended: 1 });
    expect(tb.bridge.registry.get(call.callSid)).toBeUndefined();
    expect((await roomService.listRooms()).map((r) => r.name)).not.toContain(`call-${call.callSid}`);
    // The record keeps the call's own ending.
    expect((await (await tb.bridge.store).get(call.callSid))?.outcome).toBe('caller_hung_up');
  });
});

describe('capacity', () => {
  it('tells callers over MAX_CONCURRENT_CALLS politely that lines are busy, and counts them', async () => {
    const small = await startTestBridge(lk, { MAX_CONCURRENT_CALLS: '2' });
    try {
      const calls = [await small.placeCall({ from: CALLER }), await small.placeCall({ from: CALLER })];
      const health = (await (await fetch(`${small.publicUrl}/health`)).json()) as Record<string, unknown>;
      expect(health).toEqual({
        status: 'ok',
        active_calls: 2,
        max_concurrent_calls: 2,
        utilization_percent: 100,
      });

      const extra = await small.placeCall({ from: CALLER });
      expect(extra.twiml?.summary.stream).toBeNull();
      expect(extra.twiml?.summary.said.join(' ')).toMatch(/busy/i);
      expect(extra.twiml?.summary.hangup).toBe(true);
      expect(await metricValue(small.bridge, 'callbridge_rejected_total', { reason: 'capacity' })).toBe(1);
      expect(await metricValue(small.bridge, 'callbridge_calls_total', { outcome: 'busy_rejected' })).toBe(1);

      await Promise.all(calls.map((c) => c.hangup()));
      await waitFor('calls released', () => small.bridge.registry.active === 0 || undefined);
      const after = await small.placeCall({ from: CALLER });
      expect(after.twiml?.summary.stream).not.toBeNull();
      await after.hangup();
    } finally {
      await small.close();
    }
  });
});

describe('cleanup', () => {
  it('ends each call once, with the outcome the caller caused, at any stage of setup, and leaves nothing behind', async () => {
    const outcomes = await counters({
      all: () => ended(),
      callerHungUp: () => ended('caller_hung_up'),
      streamDropped: () => ended('stream_dropped'),
    });
    // The caller hangs up or the socket drops at once (the bridge is still joining the room) or
    // once the call is live. Whichever stage, the outcome is what the caller did.
    const cases: { when: 'joining' | 'live'; how: 'hangup' | 'drop' }[] = [];
    for (let round = 0; round < 2; round++)
      for (const when of ['joining', 'live'] as const)
        for (const how of ['hangup', 'drop'] as const) cases.push({ when, how });
    const calls = await Promise.all(
      cases.map(async ({ when, how }) => {
        const call = await tb.placeCall({ from: CALLER });
        if (when === 'live') await phoneInRoom(call);
        await (how === 'hangup' ? call.hangup() : call.dropSocket());
        return { call, expected: how === 'hangup' ? 'caller_hung_up' : 'stream_dropped' };
      }),
    );
    for (const { call, expected } of calls) expect(await outcomeOf(call), call.callSid).toBe(expected);
    // Counted once each, whatever else (Twilio's status callback, its request after the stream)
    // also reported the end.
    await waitFor('every ending counted', async () =>
      (await outcomes()).all >= cases.length ? true : undefined,
    );
    expect(await outcomes()).toEqual({
      all: cases.length,
      callerHungUp: cases.length / 2,
      streamDropped: cases.length / 2,
    });
    await waitFor('registry empty', () => tb.bridge.registry.active === 0 || undefined);
    await waitFor('rooms deleted', async () => (await roomService.listRooms()).length === 0 || undefined);
    const metrics = await (await fetch(`${tb.publicUrl}/metrics`)).text();
    expect(metrics).toMatch(/^callbridge_active_calls 0$/m);
  });
});

describe('shutdown', () => {
  it('ends a call answered but not yet streaming with its outcome, its count and its room deleted', async () => {
    const other = await startTestBridge(lk);
    try {
      // Answered (room made, agent dispatched), but Twilio's stream never gets in, and its status
      // callbacks go elsewhere: nothing tells the bridge the call is over.
      const call = await other.placeCall({
        from: CALLER,
        streamSignature: 'forged',
        statusCallbackUrl: `${other.publicUrl}/elsewhere`,
      });
      expect(call.streamRefused?.httpStatus).toBe(403);
      expect(other.bridge.registry.get(call.callSid)).toBeDefined();
      await other.bridge.drain(0);
      expect(other.bridge.registry.active).toBe(0);
      expect((await (await other.bridge.store).get(call.callSid))?.outcome).toBe('shutdown');
      expect(await metricValue(other.bridge, 'callbridge_calls_total', { outcome: 'shutdown' })).toBe(1);
      await waitFor(
        'its room deleted',
        async () =>
          (await roomService.listRooms()).every((r) => r.name !== `call-${call.callSid}`) || undefined,
      );
    } finally {
      await other.close();
    }
  });
});
