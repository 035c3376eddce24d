/**
 * Warms the call path at start-up: runs once, on made-up inputs and with no side effect, the code
 * each call's start runs — the voice webhook's form and signature, the TwiML and its stream
 * token, the stream's messages, the audio converters both ways, the phone's LiveKit token and a
 * read of LiveKit's server API, and rtc-node's FFI with a capture source.
 *
 * Why: V8 compiles a function the first time it runs, and the libraries build their tables and
 * schemas on first use (the polyphase filters, zod's parsers, the TwiML builder, the FFI client).
 * Profiled, the second in which a bridge's first call was set up held ~150 ms of main thread,
 * against 18–46 ms for later calls' (their own audio included), and 72 ms with this; at a
 * container's half-core limit that work ran as 40–140 ms stalls of the event loop every call
 * shares. A bridge started or scaled out under load takes its first calls in a burst.
 */
import {
  createDownlink,
  createUplink,
  MULAW_FRAME_BYTES,
  muLawToBase64,
  samplesPerFrame,
} from '@callbridge/audio';
import {
  computeTwilioSignature,
  decodeInbound,
  encodeClear,
  encodeMark,
  encodeMedia,
  parseVoiceWebhook,
  sayAndHangupTwiml,
  validateTwilioSignature,
  verifyStreamToken,
} from '@callbridge/twilio-media';
import { AudioFrame, AudioSource } from '@livekit/rtc-node';
import type { BridgeConfig } from './config.js';
import { connectCallTwiml } from './http/connect-twiml.js';
import type { CallRooms } from './livekit/call-rooms.js';
import { DIRECT_CAPTURE_FRAME_MS, DIRECT_CAPTURE_QUEUE_MS } from './livekit/caller-uplink.js';

/** A call SID no Twilio account has (32 hex digits of zeros). */
const CALL_SID = `CA${'0'.repeat(32)}`;
const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
const STREAM_SID = `MZ${'0'.repeat(32)}`;
/** How much audio runs through each converter: enough for V8 to compile the per-frame loops. */
const FRAMES = 50;
/** A part waiting on LiveKit gives up after this: neither LiveKit nor its FFI may hold the start. */
const DEADLINE_MS = 2_000;

export interface WarmUpReport {
  /** Wall time the warm-up took. */
  ms: number;
  /** The parts that ran to the end; a part that failed is named in `failed` with its error. */
  warmed: string[];
  failed: Record<string, string>;
}

type Part = [name: string, run: () => unknown];

export async function warmCallPath(
  config: BridgeConfig,
  rooms: CallRooms,
  /** How long the LiveKit API read may take (tests shorten it). */
  opts: { apiDeadlineMs?: number } = {},
): Promise<WarmUpReport> {
  const started = performance.now();
  const report: WarmUpReport = { ms: 0, warmed: [], failed: {} };
  const parts: Part[] = [
    ['webhook', () => warmWebhook(config)],
    ['stream_messages', warmStreamMessages],
    ['audio', () => warmAudio(config.phoneAudioSampleRate)],
    ['livekit_api', () => withDeadline(warmLiveKitApi(rooms), opts.apiDeadlineMs ?? DEADLINE_MS, 'LiveKit')],
    ['livekit_ffi', () => withDeadline(warmFfi(config.phoneAudioSampleRate), DEADLINE_MS, "rtc-node's FFI")],
  ];
  for (const [name, run] of parts) {
    try {
      await run();
      report.warmed.push(name);
    } catch (err) {
      report.failed[name] = err instanceof Error ? err.message : String(err);
    }
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`${what} did not pass on its made-up input`);
}

/** The voice webhook: its form, its signature, its TwiML (the answer and the busy refusal). */
function warmWebhook(config: BridgeConfig): void {
  const form = {
    CallSid: CALL_SID,
    AccountSid: ACCOUNT_SID,
    From: '+15550000000',
    To: '+15550000001',
    CallStatus: 'ringing',
    ApiVersion: '2010-04-01',
    Direction: 'inbound',
  };
  check(parseVoiceWebhook(form).ok, 'the voice webhook form');
  const url = `${config.publicUrl}/twilio/voice`;
  const token = 'warm-up-auth-token';
  const signature = computeTwilioSignature(token, url, form);
  check(validateTwilioSignature({ authToken: token, url, params: form, signature }), 'the webhook signature');
  const twiml = connectCallTwiml(config, CALL_SID, { sayFirst: config.recordings.notice });
  const streamToken = /name="streamToken" value="([^"]+)"/.exec(twiml)?.[1];
  check(streamToken !== undefined, 'the TwiML stream token');
  check(
    verifyStreamToken({ secret: config.streamToken.secret, token: streamToken, callSid: CALL_SID }).ok,
    'the stream token',
  );
  sayAndHangupTwiml(config.busyMessage);
}

/** Every message a stream brings, decoded and checked as the socket's handler does; the replies. */
function warmStreamMessages(): void {
  const base = { sequenceNumber: '1', streamSid: STREAM_SID };
  const payload = muLawToBase64(new Uint8Array(MULAW_FRAME_BYTES).fill(0xff));
  const messages = [
    { event: 'connected', protocol: 'Call', version: '1.0.0' },
    {
      ...base,
      event: 'start',
      start: {
        streamSid: STREAM_SID,
        accountSid: ACCOUNT_SID,
        callSid: CALL_SID,
        tracks: ['inbound'],
        customParameters: { callSid: CALL_SID },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    },
    ...Array.from({ length: FRAMES }, (_, i) => ({
      ...base,
      event: 'media',
      media: { track: 'inbound', chunk: String(i + 1), timestamp: String(i * 20), payload },
    })),
    { ...base, event: 'dtmf', dtmf: { track: 'inbound_track', digit: '1' } },
    { ...base, event: 'mark', mark: { name: 'warm-up' } },
    { ...base, event: 'stop', stop: { accountSid: ACCOUNT_SID, callSid: CALL_SID } },
  ];
  for (const m of messages) check(decodeInbound(JSON.stringify(m)).ok, `the stream's ${m.event} message`);
  encodeMedia(STREAM_SID, payload);
  encodeMark(STREAM_SID, 'warm-up');
  encodeClear(STREAM_SID);
}

/** The converters both ways at the rate the bridge exchanges with LiveKit, on a tone. */
function warmAudio(livekitRate: number): void {
  const uplink = createUplink({ outputRate: livekitRate });
  const downlink = createDownlink({ inputRate: livekitRate });
  try {
    const tone = new Uint8Array(MULAW_FRAME_BYTES).map((_, i) => (i * 37) & 0xff);
    const pcm = new Int16Array(samplesPerFrame(livekitRate));
    for (let i = 0; i < pcm.length; i++)
      pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / livekitRate));
    let out = 0;
    for (let i = 0; i < FRAMES; i++) {
      out += uplink.processBase64(muLawToBase64(tone)).length;
      out += downlink.push(pcm).length;
    }
    out += downlink.flush().length + uplink.flush().length;
    check(out > 0, 'the audio converters');
  } finally {
    uplink.close();
    downlink.close();
  }
}

/**
 * The phone's token, and the server API's client (its HTTP connection, request signing and message
 * codecs) on a read: rooms listed by the name of one that does not exist. Nothing is created; the
 * calls' own requests (create room, dispatch) share the client, not their handlers.
 */
async function warmLiveKitApi(rooms: CallRooms): Promise<void> {
  const room = `warm-up-${process.pid}-${Date.now()}`;
  check((await rooms.phoneToken(room, 'warm-up', {})).length > 0, 'the phone token');
  await rooms.participantIdentities(room);
}

/** `work`, or a rejection naming `what` once `ms` have passed without it (work left running). */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * rtc-node's FFI (loaded and started on first use) and its capture path: a capture source the
 * phone's shape, fed a few frames, then closed. It joins no room and publishes nothing.
 */
async function warmFfi(rate: number): Promise<void> {
  const source = new AudioSource(rate, 1, DIRECT_CAPTURE_QUEUE_MS);
  try {
    const samples = samplesPerFrame(rate, DIRECT_CAPTURE_FRAME_MS);
    for (let i = 0; i < 5; i++)
      await source.captureFrame(new AudioFrame(new Int16Array(samples), rate, 1, samples));
  } finally {
    await source.close();
  }
}
