import alawmulaw from 'alawmulaw';
import { decodeInbound, type InboundMessage } from '@callbridge/twilio-media';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bestCorrelation, rmsDbfs, segmentedCorrelation, speechPcm, tone } from '../audio-fixtures/index.js';
import { waitFor } from '../wait/index.js';
import { PUBLIC_HTTP, PUBLIC_WS, startTestApp, type StreamConnection, type TestApp } from './_test-app.js';
import { TwilioSimulator, type MarkEcho, type SimulatedCall } from './index.js';

const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';

const connectTwiml = (extra = '') =>
  `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${PUBLIC_WS}/media" ` +
  `statusCallback="${PUBLIC_HTTP}/stream-status" name="sim-test">` +
  `<Parameter name="token" value="tok &amp; more"/><Parameter name="room" value="call-1"/>` +
  `</Stream></Connect>${extra}</Response>`;

/** Sends μ-law audio to the simulator as outbound `media` messages of 20 ms each. */
function sendAudioBack(conn: StreamConnection, streamSid: string, pcm: Int16Array): void {
  const mulaw = alawmulaw.mulaw.encode(pcm);
  for (let i = 0; i < mulaw.length; i += 160) {
    const payload = Buffer.from(mulaw.subarray(i, i + 160)).toString('base64');
    conn.socket.send(JSON.stringify({ event: 'media', streamSid, media: { payload } }));
  }
}

/** Media timestamps (ms on the simulator's own clock, from `start`) the application has received. */
function mediaTimestamps(conn: StreamConnection): number[] {
  return conn.messages.flatMap((m) =>
    m.data.event === 'media' ? [Number((m.data.media as { timestamp: string }).timestamp)] : [],
  );
}

/**
 * Resolves once the application has received every frame the simulator sent so far: frames go out
 * in order on one socket, so once a frame due after this moment has arrived, all earlier ones have.
 */
async function appReceivedAllSent(call: SimulatedCall, conn: StreamConnection): Promise<void> {
  const nowOnSimClock = performance.now() - call.streamStartedAtMs;
  await waitFor('the application to receive every frame sent so far', () =>
    mediaTimestamps(conn).some((t) => t >= nowOnSimClock),
  );
}

function inbound(conn: StreamConnection): InboundMessage[] {
  return conn.messages.map((m) => {
    const decoded = decodeInbound(JSON.stringify(m.data));
    if (!decoded.ok) throw new Error(`simulator sent an invalid message: ${decoded.error.message}`);
    return decoded.message;
  });
}

let app: TestApp;
let sim: TwilioSimulator;

beforeAll(async () => {
  app = await startTestApp(AUTH_TOKEN);
  sim = new TwilioSimulator({ authToken: AUTH_TOKEN, rewriteUrl: (u) => app.rewriteUrl(u) });
});
afterEach(async () => {
  await sim.hangupAll();
  app.requests.length = 0;
  app.onStream = () => {};
});
afterAll(async () => {
  await app.close();
});

describe('voice webhook and stream setup', () => {
  it('signs the webhook and the upgrade the way twilio.validateRequest expects, then sends connected, start, media', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
      statusCallbackUrl: `${PUBLIC_HTTP}/status`,
    });
    const voice = app.requests.find((r) => r.path === '/voice');
    expect(voice?.signatureValid).toBe(true);
    expect(voice?.params).toMatchObject({
      CallSid: call.callSid,
      AccountSid: sim.accountSid,
      From: '+15017122661',
      To: '+15558675310',
      Caller: '+15017122661',
      Called: '+15558675310',
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
      FromCountry: 'US',
    });
    expect(call.callSid).toMatch(/^CA[0-9a-f]{32}$/);

    const conn = app.streams.at(-1) as StreamConnection;
    expect(conn.signatureValid).toBe(true);
    await waitFor('a few media frames', () => conn.messages.length >= 6);
    const messages = inbound(conn);
    expect(messages[0]).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(messages[1]).toEqual({
      event: 'start',
      sequenceNumber: '1',
      streamSid: call.streamSid,
      start: {
        accountSid: sim.accountSid,
        callSid: call.callSid,
        streamSid: call.streamSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { token: 'tok & more', room: 'call-1' },
      },
    });
    const media = messages.slice(2);
    media.forEach((m, i) => {
      if (m.event !== 'media') throw new Error(`expected media, got ${m.event}`);
      expect(m.sequenceNumber).toBe(String(i + 2));
      expect(m.media.chunk).toBe(String(i + 1));
      expect(m.media.track).toBe('inbound');
      // A live line sends μ-law silence when the caller says nothing.
      expect(Buffer.from(m.media.payload, 'base64')).toEqual(Buffer.alloc(160, 0xff));
    });

    const streamStarted = await waitForRequest('/stream-status');
    expect(streamStarted).toMatchObject({
      signatureValid: true,
      params: {
        StreamEvent: 'stream-started',
        StreamSid: call.streamSid,
        CallSid: call.callSid,
        StreamName: 'sim-test',
      },
    });

    const end = await call.hangup();
    expect(end.status).toBe('completed');
    const last = inbound(conn).at(-1);
    expect(last).toMatchObject({
      event: 'stop',
      stop: { accountSid: sim.accountSid, callSid: call.callSid },
    });
    expect((await conn.closed).code).toBe(1000);
    const status = app.requests.find((r) => r.path === '/status');
    expect(status?.signatureValid).toBe(true);
    expect(status?.params).toMatchObject({
      CallStatus: 'completed',
      CallSid: call.callSid,
      CallDuration: '0',
    });
    expect(status?.params.Timestamp).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('paces media in real time: frames on a 20 ms grid, none sent before its time', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    await waitFor('61 media frames', () => conn.messages.length >= 2 + 61);
    const media = conn.messages.slice(2, 2 + 61);
    // The simulator's own clock: one frame per 20 ms period, no gaps and no drift.
    const stamps = media.map((m) => Number((m.data.media as { timestamp: string }).timestamp));
    for (let i = 1; i < stamps.length; i++)
      expect(Math.abs((stamps[i] as number) - (stamps[i - 1] as number) - 20)).toBeLessThanOrEqual(1);
    // Real time against the wall clock, one way only: no frame arrives before its period has come
    // (a simulator that sent in bursts ahead of time fails this). Arriving late only means the
    // machine was busy, and the clock then catches up on the same grid (frame-clock.test.ts), so
    // lateness is not asserted here: it would measure the machine, not the simulator.
    media.forEach((m, i) => {
      expect(m.atMs - call.streamStartedAtMs).toBeGreaterThanOrEqual((stamps[i] as number) - 1);
    });
    expect(Math.abs((stamps[60] as number) - (stamps[0] as number) - 1200)).toBeLessThanOrEqual(1);
    await call.hangup();
  });

  it('sends caller audio as μ-law the application can decode back to the same speech', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    const speech = speechPcm({ text: 'hello from the phone', sampleRate: 8000 });
    await call.sendAudio(speech);
    const received = inbound(conn).flatMap((m) =>
      m.event === 'media' ? [...alawmulaw.mulaw.decode(Buffer.from(m.media.payload, 'base64'))] : [],
    );
    const match = bestCorrelation(speech, Int16Array.from(received), 8000);
    expect(match.peak).toBeGreaterThan(0.99);
    await call.hangup();
  });

  it('sends DTMF key presses as dtmf messages', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    await call.sendDtmf('1#', 10);
    await expect(call.sendDtmf('x')).rejects.toThrow(/"x" is not a DTMF key/);
    await waitFor('two dtmf messages', () => inbound(conn).filter((m) => m.event === 'dtmf').length === 2);
    const dtmf = inbound(conn).filter((m) => m.event === 'dtmf');
    expect(dtmf.map((m) => m.event === 'dtmf' && m.dtmf)).toEqual([
      { track: 'inbound_track', digit: '1' },
      { track: 'inbound_track', digit: '#' },
    ]);
    await call.hangup();
  });
});

describe('playback like a phone', () => {
  it('plays back what the application sends (speech correlates) and echoes the mark when playback reaches it', async () => {
    app.twiml = connectTwiml();
    const speech = speechPcm({ text: 'your appointment is on Tuesday', sampleRate: 8000 });
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    const streamSid = call.streamSid as string;
    const marks: MarkEcho[] = [];
    call.on('mark', (m) => marks.push(m));
    const onsets: number[] = [];
    call.on('media', (o) => onsets.push(o.atMs));

    sendAudioBack(conn, streamSid, speech);
    conn.socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'utterance-1' } }));
    await waitFor('the mark echo', () => marks.length === 1);

    const speechMs = speech.length / 8;
    const mark = marks[0] as MarkEcho;
    expect(mark).toMatchObject({ name: 'utterance-1', cleared: false });
    // Echoed when playback finished: about one utterance after the caller started hearing it. Both
    // times are frame deadlines on the simulator's own 20 ms grid (a late tick keeps its deadline),
    // so a busy machine does not move them; frames played as silence because audio arrived late
    // (underruns) lengthen playback by exactly their number. The ±100 ms is espeak's leading
    // silence before the first audible frame and the mark's frame boundary.
    const playedMs = mark.atMs - (onsets[0] as number) - call.underrunFrames * 20;
    expect(playedMs).toBeGreaterThan(speechMs - 100);
    expect(playedMs).toBeLessThan(speechMs + 100);
    expect(call.marksEchoed).toEqual(['utterance-1']);
    await waitFor('mark echo on the wire', () => inbound(conn).some((m) => m.event === 'mark'));
    expect(inbound(conn).find((m) => m.event === 'mark')).toMatchObject({
      event: 'mark',
      streamSid,
      mark: { name: 'utterance-1' },
      sequenceNumber: expect.stringMatching(/^\d+$/),
    });
    // One sequence across start, media and mark echoes: 1, 2, 3, … with no gaps.
    const sequence = inbound(conn).flatMap((m) => ('sequenceNumber' in m ? [Number(m.sequenceNumber)] : []));
    expect(sequence).toEqual(sequence.map((_, i) => i + 1));

    const heard = call.heardPcm();
    const match = bestCorrelation(speech, heard, heard.length - speech.length);
    expect(match.peak).toBeGreaterThan(0.99);
    // The heard timeline is wall-clock aligned: the speech sits where the first onset happened.
    const onsetSample = Math.round(((onsets[0] as number) - call.heardStartedAtMs) * 8);
    expect(Math.abs(match.lag - onsetSample)).toBeLessThanOrEqual(160 * 2);
    expect(call.violations).toEqual([]);
    await call.hangup();
  });

  it('hears what it said when the application echoes caller audio back', async () => {
    app.twiml = connectTwiml();
    app.onStream = (conn) => {
      conn.socket.on('message', (data) => {
        const m = JSON.parse(String(data)) as {
          event: string;
          streamSid: string;
          media?: { payload: string };
        };
        if (m.event === 'media') {
          conn.socket.send(
            JSON.stringify({ event: 'media', streamSid: m.streamSid, media: { payload: m.media?.payload } }),
          );
        }
      });
    };
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    const speech = speechPcm({ text: 'testing one two three', sampleRate: 8000 });
    await call.sendAudio(speech);
    // Every speech frame has reached the application, so every echo has been sent before this mark
    // (one socket, in order): the mark comes back once the caller has heard all of the echo.
    await appReceivedAllSent(call, conn);
    conn.socket.send(JSON.stringify({ event: 'mark', streamSid: call.streamSid, mark: { name: 'echoed' } }));
    await waitFor('the mark after the echo', () => call.marksEchoed.includes('echoed'));
    // Checked per 100 ms segment: each echoed frame is played at the next tick after it arrives,
    // and one that arrives late (a busy machine) leaves a 20 ms gap in what the caller hears
    // (counted in underrunFrames), which would shift the rest of a whole-signal match.
    const match = segmentedCorrelation(speech, call.heardPcm(), 800);
    expect(match.peaks.length).toBeGreaterThan(5);
    expect(match.median).toBeGreaterThan(0.95);
    expect(match.inOrder).toBe(true);
    expect(call.violations).toEqual([]);
    await call.hangup();
  });

  it('clear drops buffered audio at once and echoes pending marks immediately', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    const streamSid = call.streamSid as string;
    const marks: MarkEcho[] = [];
    call.on('mark', (m) => marks.push(m));
    // Where the clear lands in the heard timeline: read when the simulator handles it.
    let heardAtClear = -1;
    let droppedMs = 0;
    let playedAtClear = -1;
    call.on('clear', (c) => {
      heardAtClear = call.heardPcm().length;
      droppedMs = c.droppedMs;
      playedAtClear = c.playedMs;
    });

    // Far more audio than the test lets play, so the clear always finds most of it still queued.
    sendAudioBack(conn, streamSid, tone({ frequency: 440, sampleRate: 8000, durationMs: 8000, dbfs: -12 }));
    conn.socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'a' } }));
    sendAudioBack(conn, streamSid, tone({ frequency: 660, sampleRate: 8000, durationMs: 1000, dbfs: -12 }));
    conn.socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'b' } }));
    const onset = await new Promise<number>((resolve) => call.once('media', (o) => resolve(o.heardMs)));
    await waitFor('400 ms of the tone heard', () => call.heardPcm().length >= (onset + 400) * 8);
    conn.socket.send(JSON.stringify({ event: 'clear', streamSid }));
    await waitFor('both marks echoed', () => marks.length === 2);

    expect(marks.map((m) => [m.name, m.cleared])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    // Echoed on receipt of the clear (at the very moment it was handled), not when playback
    // would have reached them: the audio queued before them was dropped.
    expect(call.clears).toHaveLength(1);
    expect(marks.map((m) => m.atMs)).toEqual([call.clears[0], call.clears[0]]);
    expect(droppedMs).toBeGreaterThan(1000);
    // What the caller heard of the tone before the clear: from its onset to the clear, whole frames.
    expect(playedAtClear).toBe(heardAtClear / 8 - onset);
    await waitFor('300 ms heard after the clear', () => call.heardPcm().length >= heardAtClear + 2400);
    const heard = call.heardPcm();
    expect(rmsDbfs(heard, heardAtClear - 1600, heardAtClear)).toBeGreaterThan(-20); // tone before
    expect(rmsDbfs(heard, heardAtClear, heard.length)).toBeLessThan(-60); // silence from the clear on
    await waitFor(
      'mark echoes on the wire',
      () => inbound(conn).filter((m) => m.event === 'mark').length === 2,
    );
    expect(call.violations).toEqual([]);
    await call.hangup();
  });

  it('a stalled downlink delivers its backlog at once; it is played in real time, the mark echoed when reached', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    const streamSid = call.streamSid as string;
    const marks: MarkEcho[] = [];
    call.on('mark', (m) => marks.push(m));
    const stalledAt = performance.now();
    call.stallDownlink(600);
    sendAudioBack(conn, streamSid, tone({ frequency: 440, sampleRate: 8000, durationMs: 1000, dbfs: -12 }));
    conn.socket.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'after-burst' } }));
    const onset = await new Promise<number>((resolve) => call.once('media', (o) => resolve(o.atMs)));
    // Nothing arrives during the stall; then the whole second is buffered at once. (Node's timers
    // count whole milliseconds and may fire up to 1 ms early against performance.now.)
    expect(onset - stalledAt).toBeGreaterThanOrEqual(598);
    expect(call.bufferedPlaybackMs).toBeGreaterThan(900);
    await waitFor('the mark after the burst', () => marks.length === 1);
    expect(marks[0]).toMatchObject({ name: 'after-burst', cleared: false });
    // Played in real time: one 20 ms frame per tick, so the mark comes back a second later.
    expect(marks[0]!.atMs - onset).toBeGreaterThanOrEqual(980);
    expect(call.playedAudioMs).toBe(1000);
    expect(call.violations).toEqual([]);
    await call.hangup();
  });

  it('records protocol violations without dropping the call', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    const streamSid = call.streamSid as string;
    conn.socket.send('not json');
    conn.socket.send(JSON.stringify({ event: 'stop', streamSid }));
    conn.socket.send(JSON.stringify({ event: 'clear', streamSid: 'MZ' + '0'.repeat(32) }));
    conn.socket.send(JSON.stringify({ event: 'media', streamSid, media: { payload: '***' } }));
    conn.socket.send(Buffer.from([1, 2, 3]));
    await waitFor('five violations', () => call.violations.length === 5);
    expect(call.violations.map((v) => v.split(':')[0])).toEqual([
      'invalid_json',
      'unknown_event',
      'clear names streamSid MZ00000000000000000000000000000000, but this stream is ' + streamSid,
      'invalid_payload',
      'binary_frame',
    ]);
    // The line stays up: media keeps flowing after the bad messages.
    const before = conn.messages.length;
    await waitFor('media after the violations', () => conn.messages.length >= before + 3);
    expect(inbound(conn).at(-1)?.event).toBe('media');
    await call.hangup();
  });
});

describe('call endings', () => {
  it('records <Say><Hangup> without opening a stream and posts the completed status', async () => {
    app.twiml =
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="alice">All agents are busy.</Say><Hangup/></Response>';
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
      statusCallbackUrl: `${PUBLIC_HTTP}/status`,
    });
    expect(await call.ended).toEqual({ status: 'completed', durationSec: 0 });
    expect(call.said).toEqual(['All agents are busy.']);
    expect(call.twiml?.summary).toMatchObject({ verbs: ['Say', 'Hangup'], hangup: true, stream: null });
    expect(call.streamSid).toBeNull();
    expect((await call.closed).by).toBe('never-opened');
    expect(() => call.sendRaw('x')).toThrow(/has no media stream \(TwiML verbs: Say, Hangup\)/);
    expect(app.requests.find((r) => r.path === '/status')?.params.CallStatus).toBe('completed');
  });

  it('<Reject reason="busy"> ends the call unanswered with status busy', async () => {
    app.twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>';
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    expect(await call.ended).toEqual({ status: 'busy', durationSec: null });
    expect(call.rejected).toBe('busy');
  });

  it('a forged or missing webhook signature is refused by the application (403), so no stream', async () => {
    app.twiml = connectTwiml();
    for (const signature of ['forged', 'missing'] as const) {
      const call = await sim.placeInboundCall({
        voiceUrl: `${PUBLIC_HTTP}/voice`,
        from: '+15017122661',
        to: '+15558675310',
        signature,
      });
      expect(call.webhook).toMatchObject({ ok: true, status: 403 });
      expect(call.streamSid).toBeNull();
    }
    expect(app.requests.map((r) => r.signatureValid)).toEqual([false, false]);
  });

  it('a forged upgrade signature is refused at the handshake and recorded', async () => {
    app.twiml = connectTwiml('<Say>Goodbye</Say>');
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
      streamSignature: 'forged',
    });
    expect(call.streamRefused?.httpStatus).toBe(403);
    // Twilio moves on to the next verb when the stream cannot connect.
    expect((await call.ended).status).toBe('completed');
    expect(call.said).toEqual(['Goodbye']);
    const error = await waitForRequest('/stream-status');
    expect(error.params).toMatchObject({ StreamEvent: 'stream-error' });
  });

  it('when the application closes the stream, Twilio continues with the verbs after <Connect>', async () => {
    app.twiml = connectTwiml('<Say>Transferring you now.</Say><Dial><Number>+15551230000</Number></Dial>');
    // The application ends the stream once it has the call's start message.
    app.onStream = (conn) =>
      void waitFor('start', () => conn.messages.some((m) => m.data.event === 'start')).then(() =>
        conn.socket.close(1000, 'agent done'),
      );
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    expect(await call.closed).toMatchObject({ code: 1000, reason: 'agent done', by: 'server' });
    expect((await call.ended).status).toBe('completed');
    expect(call.said).toEqual(['Transferring you now.']);
    expect(call.dialed).toEqual(['+15551230000']);
  });

  it('dropSocket closes without stop (the application sees 1006)', async () => {
    app.twiml = connectTwiml();
    const call = await sim.placeInboundCall({
      voiceUrl: `${PUBLIC_HTTP}/voice`,
      from: '+15017122661',
      to: '+15558675310',
    });
    const conn = app.streams.at(-1) as StreamConnection;
    await waitFor('first media', () => conn.messages.length >= 3);
    const info = await call.dropSocket();
    expect(info.by).toBe('simulator');
    expect((await conn.closed).code).toBe(1006);
    expect(inbound(conn).some((m) => m.event === 'stop')).toBe(false);
  });

  it('openStream connects without a webhook, for endpoint security tests', async () => {
    const call = await sim.openStream({ streamUrl: `${PUBLIC_WS}/media`, parameters: { token: 'replayed' } });
    const conn = app.streams.at(-1) as StreamConnection;
    await waitFor('connected + start', () => conn.messages.length >= 2);
    expect(inbound(conn)[1]).toMatchObject({
      event: 'start',
      start: { customParameters: { token: 'replayed' } },
    });
    await call.hangup();
  });
});

async function waitForRequest(path: string) {
  await waitFor(`a request to ${path}`, () => app.requests.some((r) => r.path === path));
  const index = app.requests.findIndex((r) => r.path === path);
  return app.requests.splice(index, 1)[0] as NonNullable<(typeof app.requests)[number]>;
}
