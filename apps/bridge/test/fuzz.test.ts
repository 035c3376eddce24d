// Hostile input, generated: the pure parsers at high counts, then the real bridge over real sockets
// and HTTP while a healthy call runs next to the barrage. Every refusal must be counted exactly as
// an independent model (built on decodeInbound) predicts, and the healthy call must not notice.
import {
  CALL_DIRECTIONS,
  CALL_STATUSES,
  computeTwilioSignature,
  createStreamToken,
  decodeInbound,
  InboundMessageSchemas,
  parseStatusCallback,
  parseStreamToken,
  parseVoiceWebhook,
  ProtocolError,
  validateTwilioSignature,
  verifyStreamToken,
  type SignatureCheck,
} from '@callbridge/twilio-media';
import {
  connectParticipant,
  recordRemoteAudio,
  startLiveKitServer,
  type LiveKitServer,
} from '@callbridge/testkit/livekit';
import { rmsDbfs, tone } from '@callbridge/testkit/audio-fixtures';
import { AudioFrame, dispose } from '@livekit/rtc-node';
import fc from 'fast-check';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openRawStream,
  rawRequest,
  sendRaw,
  signedForm,
  streamTokenOf,
  voiceForm,
  type HttpResult,
} from './_fuzz-client.js';
import { hostileMessageArb, sidArb, type RawMessage } from './_fuzz-messages.js';
import { expectFor, type SessionModel } from './_fuzz-model.js';
import { heardIndex } from '../../../test/_caller.js';
import { loudShareByPart } from './_audio-presence.js';
import { AUTH_TOKEN, metricValue, startTestBridge, waitFor, type TestBridge } from './_harness.js';

const SECRET = 'fuzz-stream-token-secret-0123456789abcdef';
const MAX_BYTES = 65_536;
const ACCOUNT = 'AC' + 'a'.repeat(32);
/** Fixed so a failure can be replayed; fast-check prints the seed and path of any counterexample. */
const SEED = 20_261_121;

/** What the suite fed the bridge and its parsers, reported as one JSON line at the end. */
const counts = {
  decoder: 0,
  webhookForms: 0,
  signatures: 0,
  streamTokens: 0,
  socketMessages: 0,
  socketSessions: 0,
  liveSessions: 0,
  httpRequests: 0,
  rejected: 0,
  expectedRejected: 0,
  healthyFramesIn: 0,
  healthyFramesOut: 0,
  healthyHeardShares: [] as number[],
  healthyRoomShares: [] as number[],
  healthyRoomMaxGapMs: 0,
  healthyOutMaxStallMs: 0,
  barrageMs: 0,
  httpStatuses: {} as Record<number, number>,
};

const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

const PROTOCOL_CODES = new Set([
  'binary_frame',
  'oversized',
  'invalid_json',
  'unknown_event',
  'invalid_message',
  'invalid_payload',
]);
const EVENTS = new Set(Object.keys(InboundMessageSchemas));

/** Keys that break naive form handling: prototype names, empty, unicode. */
const formKey = fc.oneof(
  fc.constantFrom(
    'CallSid',
    'AccountSid',
    'From',
    'To',
    'CallStatus',
    'Direction',
    'ApiVersion',
    'CallDuration',
  ),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'CallSid[]'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
const formValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const validCallForm = fc.record({
  CallSid: sidArb('CA'),
  AccountSid: sidArb('AC'),
  From: fc.string({ maxLength: 16 }),
  To: fc.string({ maxLength: 16 }),
  CallStatus: fc.constantFrom(...CALL_STATUSES),
  ApiVersion: fc.constant('2010-04-01'),
  Direction: fc.constantFrom(...CALL_DIRECTIONS),
});
/** Twilio-shaped forms, some damaged, and arbitrary dictionaries. */
const formArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  validCallForm,
  fc.tuple(validCallForm, formKey, fc.option(formValue)).map(([form, key, value]) => {
    const out: Record<string, unknown> = { ...form };
    if (value === null) delete out[key];
    else out[key] = value;
    return out;
  }),
  fc.dictionary(formKey, formValue, { maxKeys: 12 }),
);

describe('pure parsers never throw on hostile input', () => {
  it('decodeInbound: every message is either a known event or a ProtocolError with a close code', () => {
    const ctx = { streamSid: 'MZ' + '1'.repeat(32), callSid: 'CA' + '2'.repeat(32), accountSid: ACCOUNT };
    // A small limit here puts the near-limit payloads of the generator on both sides of it.
    const messages = fc.oneof(
      { weight: 6, arbitrary: hostileMessageArb(ctx, { maxBytes: 2048 }) },
      {
        weight: 1,
        arbitrary: fc
          .anything()
          .map((v): RawMessage => ({ data: JSON.stringify(v) ?? 'undefined', binary: false })),
      },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 400 })
          .map((b): RawMessage => ({ data: Buffer.from(b), binary: false })),
      },
    );
    let accepted = 0;
    fc.assert(
      fc.property(messages, (msg) => {
        counts.decoder++;
        const r = decodeInbound(msg.data, { maxBytes: 2048, isBinary: msg.binary });
        const again = decodeInbound(
          typeof msg.data === 'string' ? Buffer.from(msg.data) : msg.data.toString('utf8'),
          {
            maxBytes: 2048,
            isBinary: msg.binary,
          },
        );
        if (r.ok) {
          accepted++;
          return EVENTS.has(r.message.event) && again.ok;
        }
        // One bad frame must not flood the logs: messages quote values cut short.
        return (
          r.error instanceof ProtocolError &&
          PROTOCOL_CODES.has(r.error.code) &&
          [1003, 1008, 1009].includes(r.error.closeCode) &&
          r.error.message.length < 8192 &&
          !again.ok &&
          again.error.code === r.error.code
        );
      }),
      { numRuns: 40_000, seed: SEED },
    );
    // The generator is meant to reach the accepting paths too, not only the refusals.
    expect(accepted).toBeGreaterThan(counts.decoder / 10);
    expect(accepted).toBeLessThan(counts.decoder);
  });

  it('parseVoiceWebhook / parseStatusCallback: accept only forms with Twilio SIDs, never throw', () => {
    let accepted = 0;
    const forms = fc.oneof(
      formArb,
      formArb.map(
        (f) => new URLSearchParams(Object.entries(f).map(([k, v]): [string, string] => [k, String(v)])),
      ),
      fc.anything() as fc.Arbitrary<Record<string, unknown>>,
    );
    fc.assert(
      fc.property(forms, (form) => {
        counts.webhookForms += 2;
        const voice = parseVoiceWebhook(form);
        const status = parseStatusCallback(form);
        for (const r of [voice, status]) {
          if (r.ok) {
            accepted++;
            if (!/^CA[0-9a-fA-F]{32}$/.test(r.value.CallSid)) return false;
            if (!(CALL_STATUSES as readonly string[]).includes(r.value.CallStatus)) return false;
          } else if (r.error.code !== 'invalid_webhook' || r.error.retryable) return false;
        }
        // A status callback is a voice webhook plus optional fields: it can only accept more forms.
        const has = (k: string) =>
          form instanceof URLSearchParams
            ? form.has(k)
            : typeof form === 'object' && form !== null && k in form;
        return !voice.ok || status.ok || has('CallDuration') || has('SequenceNumber');
      }),
      { numRuns: 15_000, seed: SEED },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it('validateTwilioSignature: false for anything but the exact URL and params it was computed over', () => {
    const anyCheck = fc.record({
      authToken: fc.oneof(fc.string(), fc.anything()),
      url: fc.oneof(fc.webUrl(), fc.string(), fc.anything()),
      params: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
      signature: fc.oneof(
        fc.base64String({ minLength: 28, maxLength: 28 }),
        fc.array(fc.string()),
        fc.anything(),
      ),
    });
    fc.assert(
      fc.property(anyCheck, (check) => {
        counts.signatures++;
        return validateTwilioSignature(check as SignatureCheck) === false;
      }),
      { numRuns: 8000, seed: SEED },
    );
    // Webhook URLs always have a path; `twilio.validateRequest` rebuilds the URL (adding a "/" to a
    // bare host), so a path-less URL never validates, which is not the bridge's concern.
    const segment = fc.string({ unit: fc.constantFrom(...'abcxyz0123-_'), minLength: 1, maxLength: 8 });
    const genuine = fc.record({
      url: fc
        .tuple(
          fc.domain(),
          fc.array(segment, { minLength: 1, maxLength: 3 }),
          fc.option(fc.tuple(segment, segment)),
        )
        .map(([host, segs, q]) => `https://${host}/${segs.join('/')}${q ? `?${q[0]}=${q[1]}` : ''}`),
      params: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), {
        maxKeys: 8,
      }),
      extra: fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ minLength: 1, maxLength: 6 })),
      otherPath: fc.string({ minLength: 1, maxLength: 6 }).map(encodeURIComponent),
    });
    fc.assert(
      fc.property(genuine, ({ url, params, extra, otherPath }) => {
        counts.signatures += 4;
        const signature = computeTwilioSignature(AUTH_TOKEN, url, params);
        const check = (u: string, p: Record<string, string>, token = AUTH_TOKEN) =>
          validateTwilioSignature({ authToken: token, url: u, params: p, signature });
        const [k, v] = extra;
        const added = k in params ? { ...params, [k]: (params[k] ?? '') + v } : { ...params, [k]: v };
        const moved = new URL(url);
        moved.pathname = `${moved.pathname.replace(/\/$/, '')}/${otherPath}`;
        return (
          check(url, params) &&
          !check(url, added) &&
          !check(moved.toString(), params) &&
          !check(url, params, AUTH_TOKEN + 'x')
        );
      }),
      { numRuns: 3000, seed: SEED },
    );
  });

  it('verifyStreamToken: only the untouched token, for its call, before expiry, with its secret', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.anything(),
          fc.string().map((s) => `v1.${s}`),
        ),
        sidArb('CA'),
        (token, callSid) => {
          counts.streamTokens++;
          parseStreamToken(token);
          return !verifyStreamToken({ secret: SECRET, token, callSid }).ok;
        },
      ),
      { numRuns: 8000, seed: SEED },
    );
    fc.assert(
      fc.property(
        sidArb('CA'),
        sidArb('CA'),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        (callSid, other, at, c) => {
          counts.streamTokens += 4;
          const token = createStreamToken({ secret: SECRET, callSid, ttlMs: 60_000 });
          const i = at % token.length;
          const flipped = token.slice(0, i) + c + token.slice(i + 1);
          const now = Date.now();
          return (
            verifyStreamToken({ secret: SECRET, token, callSid }).ok &&
            (flipped === token || !verifyStreamToken({ secret: SECRET, token: flipped, callSid }).ok) &&
            (other === callSid || !verifyStreamToken({ secret: SECRET, token, callSid: other }).ok) &&
            !verifyStreamToken({ secret: SECRET.replace('f', 'g'), token, callSid }).ok &&
            !verifyStreamToken({ secret: SECRET, token, callSid, nowMs: now + 61_000 }).ok
          );
        },
      ),
      { numRuns: 3000, seed: SEED },
    );
  });
});

/** Largest difference between consecutive times. */
function maxGap(times: number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return gap;
}

function startBody(streamSid: string, callSid: string, streamToken: string) {
  return {
    streamSid,
    accountSid: ACCOUNT,
    callSid,
    tracks: ['inbound'],
    customParameters: { callSid, streamToken },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  };
}

describe('the real bridge under a barrage', () => {
  let lk: LiveKitServer;
  let tb: TestBridge;
  let roomService: RoomServiceClient;
  const streamUrl = () => `${tb.publicUrl.replace(/^http/, 'ws')}/twilio/media`;
  const rejectedTotal = () => metricValue(tb.bridge, 'callbridge_rejected_total');
  const rejectedBy = async () => {
    const metric = await tb.bridge.metrics.registry.getSingleMetric('callbridge_rejected_total')?.get();
    const out: Record<string, number> = {};
    for (const v of metric?.values ?? []) out[String(v.labels.reason)] = v.value;
    return out;
  };

  beforeAll(async () => {
    lk = await startLiveKitServer();
    // Refusals are logged at warn; tens of thousands of them would only slow the run down.
    tb = await startTestBridge(lk, { STREAM_TOKEN_SECRET: SECRET, LOG_LEVEL: 'error' });
    roomService = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
  });

  afterAll(async () => {
    await tb?.close();
    await lk?.stop();
    await dispose();
  });

  /**
   * Sends `messages` on `stream` as the model allows: up to and including the first one the bridge
   * must close the socket over. If none does, a binary frame ends the session, so the close is a
   * barrier: every message before it has been handled when it arrives.
   */
  async function runSession(
    stream: Awaited<ReturnType<typeof openRawStream>>,
    model: SessionModel,
    messages: RawMessage[],
    expected: Map<string, number>,
  ): Promise<void> {
    let closeCode: number | undefined;
    // Media before start, or a second start: both close the socket with 1008 in any state.
    const barrier: RawMessage = {
      data: JSON.stringify(
        model.state === 'live'
          ? {
              event: 'start',
              sequenceNumber: '2',
              streamSid: model.streamSid,
              start: startBody(model.streamSid!, model.callSid, 'x'),
            }
          : {
              event: 'media',
              sequenceNumber: '1',
              streamSid: 'MZ' + '0'.repeat(32),
              media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '/////w==' },
            },
      ),
      binary: false,
    };
    for (const msg of [...messages, barrier]) {
      const e = expectFor(model, msg);
      sendRaw(stream, msg);
      counts.socketMessages++;
      if (e.reason) expected.set(e.reason, (expected.get(e.reason) ?? 0) + 1);
      if (e.close !== undefined) {
        closeCode = e.close;
        break;
      }
    }
    const code = await Promise.race([
      stream.closed,
      new Promise<number>((r) => setTimeout(() => r(-1), 10_000)),
    ]);
    expect(code, 'close code the session model predicts').toBe(closeCode);
    counts.socketSessions++;
  }

  /** Answers a call through the signed webhook and opens its stream with the genuine token. */
  async function liveSession(callSid: string) {
    const answer = await signedForm(`${tb.publicUrl}/twilio/voice`, voiceForm(callSid, ACCOUNT));
    const token = streamTokenOf(answer.body);
    expect(answer.status).toBe(200);
    expect(token).toBeDefined();
    const streamSid = 'MZ' + callSid.slice(2);
    const stream = await openRawStream(streamUrl());
    stream.ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    stream.ws.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid,
        start: startBody(streamSid, callSid, token ?? ''),
      }),
    );
    counts.socketMessages += 2;
    return { stream, streamSid };
  }

  it('survives and counts every refusal while a healthy call keeps streaming both ways', async () => {
    // The healthy call, with a stand-in agent that talks the whole time and records the caller.
    const healthy = await tb.placeCall({ from: '+15551239999' });
    const room = `call-${healthy.callSid}`;
    let healthyClosed = false;
    void healthy.closed.then(() => (healthyClosed = true));
    await waitFor('healthy call live', () => tb.bridge.registry.get(healthy.callSid)?.streamSid);
    const agent = await connectParticipant(lk, room, 'agent-standin', { 'lk.agent.state': 'speaking' });
    const source = await agent.publishMicrophone({ queueMs: 100 });
    const recording = await recordRemoteAudio(agent.room, { from: (p) => p.identity.startsWith('phone-') });
    let talking = true;
    const cleanup = async () => {
      talking = false;
      await talk;
      recording.stop();
      await agent.disconnect();
      await healthy.hangup();
      await waitFor('healthy call ended', () => tb.bridge.registry.active === 0 || undefined);
    };
    const talk = (async () => {
      const agentTone = new Int16Array(480).map((_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)),
      );
      while (talking) await source.captureFrame(new AudioFrame(agentTone, 48_000, 1, 480));
    })();
    await waitFor('agent audio reaches the caller', async () =>
      (await metricValue(tb.bridge, 'callbridge_frames_out_total')) > 10 ? true : undefined,
    );
    // The caller talks the whole time too: a 1 kHz tone (the hang-up ends it).
    void healthy
      .sendAudio(tone({ frequency: 1000, sampleRate: 8000, durationMs: 120_000, dbfs: -12 }))
      .catch(() => undefined);
    await waitFor('the caller audible in the room', () => {
      const pcm = recording.samples();
      return pcm.length > 4800 && rmsDbfs(pcm, pcm.length - 4800) > -40;
    });

    try {
      const expected = new Map<string, number>();
      const rejectedBefore = await rejectedBy();
      const totalBefore = await rejectedTotal();
      const framesOutBefore = await metricValue(tb.bridge, 'callbridge_frames_out_total');
      const recordedBefore = recording.samples().length;
      const started = performance.now();
      // Frames sent to the healthy caller, sampled through the barrage to find any stall.
      const outSamples: { atMs: number; frames: number }[] = [];
      const sampler = setInterval(() => {
        void metricValue(tb.bridge, 'callbridge_frames_out_total').then((frames) =>
          outSamples.push({ atMs: performance.now(), frames }),
        );
      }, 100);

      // Sockets that never start: cheap, so many of them, several at once.
      const preCtx = {
        streamSid: 'MZ' + 'e'.repeat(32),
        callSid: 'CA' + 'e'.repeat(32),
        accountSid: ACCOUNT,
      };
      const preMessages = fc.sample(
        fc.array(
          hostileMessageArb(preCtx, {
            maxBytes: MAX_BYTES,
            textWeight: 60,
            mediaWeight: 1,
            binaryWeight: 0,
            nearLimit: 'below',
          }),
          { minLength: 60, maxLength: 60 },
        ),
        {
          numRuns: 480,
          seed: SEED,
        },
      );
      for (let i = 0; i < preMessages.length; i += 8) {
        await Promise.all(
          preMessages.slice(i, i + 8).map(async (messages) => {
            const stream = await openRawStream(streamUrl());
            const model: SessionModel = {
              state: 'awaiting_start',
              streamSid: undefined,
              callSid: preCtx.callSid,
              secret: SECRET,
              maxBytes: MAX_BYTES,
              badMessages: 0,
            };
            await runSession(stream, model, messages, expected);
          }),
        );
      }

      // Answered calls whose stream is live: valid-looking traffic with the right and wrong streamSid.
      const liveSids = fc.sample(sidArb('CA'), { numRuns: 24, seed: SEED + 1 });
      for (let i = 0; i < liveSids.length; i += 3) {
        await Promise.all(
          liveSids.slice(i, i + 3).map(async (callSid, j) => {
            const { stream, streamSid } = await liveSession(callSid);
            const ctx = { streamSid, callSid, accountSid: ACCOUNT };
            const [messages] = fc.sample(
              fc.array(
                hostileMessageArb(ctx, {
                  maxBytes: MAX_BYTES,
                  textWeight: 200,
                  binaryWeight: 0,
                  nearLimit: 'below',
                }),
                { minLength: 400, maxLength: 400 },
              ),
              { numRuns: 1, seed: SEED + i + j },
            );
            const model: SessionModel = {
              state: 'live',
              streamSid,
              callSid,
              secret: SECRET,
              maxBytes: MAX_BYTES,
              badMessages: 0,
            };
            await runSession(stream, model, messages ?? [], expected);
            counts.liveSessions++;
          }),
        );
      }
      const ended = performance.now();
      clearInterval(sampler);
      counts.barrageMs = Math.round(ended - started);

      // Every refusal counted, per reason, exactly as the model predicts.
      const rejectedAfter = await rejectedBy();
      const delta: Record<string, number> = {};
      for (const [reason, n] of Object.entries(rejectedAfter)) {
        const d = n - (rejectedBefore[reason] ?? 0);
        if (d > 0) delta[reason] = d;
      }
      expect(delta).toEqual(Object.fromEntries([...expected].sort()));
      counts.rejected = (await rejectedTotal()) - totalBefore;
      counts.expectedRejected = [...expected.values()].reduce((a, b) => a + b, 0);

      // The healthy call heard the agent and was heard in its room all through the barrage: in each
      // quarter of it (quarters of its own span, from its start to its end), frames the caller
      // heard carry the agent's tone and frames the room received carry the caller's. A stall
      // shows as silence, whatever the machine's speed. Under this barrage, on a busy 2-core
      // machine, the shares themselves drop well below 1 (0.05-0.2 in some quarters: the barrage
      // shares the bridge's event loop), so they are printed, and only a total stall fails.
      const heardShares = loudShareByPart(
        healthy.heardPcm(),
        160,
        heardIndex(healthy, started),
        heardIndex(healthy, ended),
      );
      const inRoom = recording.frames.filter((f) => f.atMs > started && f.atMs < ended);
      const roomShares = loudShareByPart(
        recording.samples(),
        480,
        inRoom[0]!.index,
        inRoom.at(-1)!.index + inRoom.at(-1)!.length,
      );
      counts.healthyHeardShares = heardShares;
      counts.healthyRoomShares = roomShares;
      for (const share of heardShares)
        expect(share, `agent audio heard by quarter ${heardShares}`).toBeGreaterThan(0);
      for (const share of roomShares)
        expect(share, `caller audio in the room by quarter ${roomShares}`).toBeGreaterThan(0);
      counts.healthyFramesOut =
        (await metricValue(tb.bridge, 'callbridge_frames_out_total')) - framesOutBefore;
      counts.healthyFramesIn = Math.floor((recording.samples().length - recordedBefore) / 960);
      const arrivals = [started, ...inRoom.map((f) => f.atMs), ended];
      counts.healthyRoomMaxGapMs = Math.round(maxGap(arrivals));
      const growth = [{ atMs: started, frames: framesOutBefore }, ...outSamples];
      const grewAt = growth
        .filter((s, i) => i === 0 || s.frames > (growth[i - 1]?.frames ?? 0))
        .map((s) => s.atMs);
      counts.healthyOutMaxStallMs = Math.round(maxGap([...grewAt, ended]));
      expect(healthyClosed).toBe(false);
      expect(healthy.violations).toEqual([]);

      // Nothing of the attackers is left in the bridge: only the healthy call.
      await waitFor('attacker calls released', () => tb.bridge.registry.active === 1 || undefined);
      // (Rooms are not checked here: a stream that ends while its phone is still joining can leave
      // its room behind for LiveKit's departure timeout; reported separately.)
      expect(unhandled).toEqual([]);
    } finally {
      await cleanup();
    }
  }, 120_000);

  it('answers random webhook requests with 2xx/4xx only, counting every refusal', async () => {
    const paths = ['/twilio/voice', '/twilio/status'];
    const request = fc.record({
      path: fc.constantFrom(...paths),
      query: fc.constantFrom('', '?a=1', '?CallSid=CA' + '0'.repeat(32)),
      form: formArb,
      encoding: fc.constantFrom('form', 'form', 'form', 'json', 'text', 'bytes', 'big'),
      contentType: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=zz',
        'application/x-www-form-urlencoded; charset=utf-16',
        'application/x-www-form-urlencoded; charset=nope',
      ),
      signature: fc.constantFrom('valid', 'valid', 'forged', 'missing', 'garbage', 'twice', 'otherPath'),
      bytes: fc.uint8Array({ maxLength: 300 }),
    });
    const cases = fc.sample(request, { numRuns: 1000, seed: SEED });
    const statuses = new Map<number, number>();
    const totalBefore = await rejectedTotal();
    const activeBefore = tb.bridge.registry.active;
    const answered: string[] = [];
    let refusalsToCount = 0;
    for (let i = 0; i < cases.length; i += 8) {
      const results = await Promise.all(
        cases.slice(i, i + 8).map(async (c): Promise<HttpResult> => {
          const params = Object.fromEntries(Object.entries(c.form).map(([k, v]) => [k, String(v)]));
          const body =
            c.encoding === 'form'
              ? new URLSearchParams(params).toString()
              : c.encoding === 'json'
                ? JSON.stringify(c.form)
                : c.encoding === 'text'
                  ? String(Object.values(params)[0] ?? '')
                  : c.encoding === 'big'
                    ? 'From=' + 'x'.repeat(40_000)
                    : Buffer.from(c.bytes);
          const url = `${tb.publicUrl}${c.path}${c.query}`;
          const signedParams = c.encoding === 'form' ? params : {};
          const headers: Record<string, string | string[]> = { 'content-type': c.contentType };
          const sig = (u: string) => computeTwilioSignature(AUTH_TOKEN, u, signedParams);
          if (c.signature === 'valid') headers['x-twilio-signature'] = sig(url);
          if (c.signature === 'forged')
            headers['x-twilio-signature'] = computeTwilioSignature('nope', url, signedParams);
          if (c.signature === 'garbage')
            headers['x-twilio-signature'] =
              Buffer.from(c.bytes)
                .toString('latin1')
                .replace(/[^\x20-\x7e]/g, '') || '=';
          if (c.signature === 'twice') headers['x-twilio-signature'] = [sig(url), sig(url)];
          if (c.signature === 'otherPath')
            headers['x-twilio-signature'] = sig(`${tb.publicUrl}/twilio/other`);
          const res = await rawRequest(url, { headers, body });
          if (res.status === 200 && c.path === '/twilio/voice') {
            const sid = /name="callSid" value="([^"]+)"/.exec(res.body)?.[1];
            if (sid) answered.push(sid);
            // The busy answer is a refusal too (reason capacity); the error answer is not.
            if (/lines are busy/.test(res.body)) refusalsToCount++;
          }
          return res;
        }),
      );
      for (const r of results) {
        counts.httpRequests++;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        // 413/415 come from the body parser before any route; they are refusals all the same.
        if ([400, 403, 413, 415].includes(r.status)) refusalsToCount++;
      }
    }
    counts.httpStatuses = Object.fromEntries(statuses);
    const seen = [...statuses.keys()].sort();
    expect(seen.filter((s) => s === 0 || s >= 500)).toEqual([]);
    expect(seen.every((s) => [200, 204, 400, 403, 413, 415].includes(s))).toBe(true);
    // Each status the bridge can give was reached, so the generator is not stuck on one path.
    for (const s of [200, 204, 400, 403]) expect(statuses.get(s) ?? 0).toBeGreaterThan(5);
    expect((await rejectedTotal()) - totalBefore).toBe(refusalsToCount);

    // Calls the fuzzer got answered are ended by their status callback, leaving nothing behind.
    for (const callSid of answered) {
      const done = await signedForm(`${tb.publicUrl}/twilio/status`, {
        ...voiceForm(callSid, ACCOUNT),
        CallStatus: 'completed',
        CallDuration: '0',
      });
      expect(done.status).toBe(204);
    }
    await waitFor('fuzzed calls released', () => tb.bridge.registry.active === activeBefore || undefined);
    await waitFor('fuzzed rooms deleted', async () => {
      const names = new Set((await roomService.listRooms()).map((r) => r.name));
      return answered.every((sid) => !names.has(`call-${sid}`)) ? true : undefined;
    });
    expect(unhandled).toEqual([]);
  }, 120_000);
});

describe('report', () => {
  it('prints the fuzz counts as one JSON line', () => {
    const pure = counts.decoder + counts.webhookForms + counts.signatures + counts.streamTokens;
    const total = pure + counts.socketMessages + counts.httpRequests;
    expect(total).toBeGreaterThanOrEqual(100_000);
    expect(counts.rejected).toBe(counts.expectedRejected);
    console.log(
      JSON.stringify({
        fuzz_messages: total,
        pure_inputs: pure,
        socket_messages: counts.socketMessages,
        socket_sessions: counts.socketSessions,
        live_sessions: counts.liveSessions,
        http_requests: counts.httpRequests,
        http_statuses: counts.httpStatuses,
        rejected: counts.rejected,
        expected_rejected: counts.expectedRejected,
        healthy_call_frames_in: counts.healthyFramesIn,
        healthy_call_frames_out: counts.healthyFramesOut,
        healthy_heard_loud_by_quarter: counts.healthyHeardShares,
        healthy_room_loud_by_quarter: counts.healthyRoomShares,
        healthy_room_max_gap_ms: counts.healthyRoomMaxGapMs,
        healthy_out_max_stall_ms: counts.healthyOutMaxStallMs,
        barrage_ms: counts.barrageMs,
      }),
    );
  });
});
