/**
 * Twilio's end of one bidirectional Media Stream (`<Connect><Stream>`): opens the signed WebSocket,
 * sends `connected` and `start`, then behaves like a phone line on a 20 ms clock: one `media`
 * frame up per tick (queued caller audio, else μ-law silence, as a live line keeps sending) and
 * one frame of server audio played down per tick into the heard timeline. Everything the server
 * sends is checked against the documented outbound messages; anything else is a violation.
 */
import type { EventEmitter } from 'node:events';
import {
  decodeOutbound,
  DtmfDigitSchema,
  MEDIA_FORMAT,
  payloadToMulaw,
  type ConnectedMessage,
  type DtmfMessage,
  type MarkMessage,
  type MediaMessage,
  type StartMessage,
  type StopMessage,
} from '@callbridge/twilio-media';
import WebSocket from 'ws';
import { ByteLog } from './_byte-log.js';
import type { CloseInfo, SimulatedCallEvents } from './_events.js';
import { type FrameClock, sharedFrameClock } from './_frame-clock.js';
import { decodeMulaw, encodeMulaw, MULAW_SILENCE, mulawPeak } from './_mulaw.js';
import { PlaybackBuffer } from './_playback.js';
import { signatureHeader, type SignatureMode } from './_signed-post.js';

/** 20 ms at 8 kHz. */
export const FRAME_SAMPLES = 160;
const SAMPLES_PER_MS = 8;
/** Peak below which a played frame counts as silence (≈ −52 dBFS): μ-law noise floor, not speech. */
const SILENCE_PEAK = 80;
const SILENCE_PAYLOAD = Buffer.alloc(FRAME_SAMPLES, MULAW_SILENCE).toString('base64');

export interface MediaStreamOptions {
  /** The `<Stream url>` from the TwiML: what Twilio signs. */
  streamUrl: string;
  parameters: Record<string, string>;
  authToken: string;
  accountSid: string;
  callSid: string;
  streamSid: string;
  events: EventEmitter<SimulatedCallEvents>;
  signature?: SignatureMode;
  rewriteUrl?: (url: string) => string;
  clock?: FrameClock;
  /** Keep the heard timeline (off saves memory in load tests). Default true. */
  keepHeard?: boolean;
  /** Largest message accepted from the server. Default 64 KiB. */
  maxMessageBytes?: number;
  connectTimeoutMs?: number;
}

export type StreamOpenOutcome = { ok: true } | { ok: false; httpStatus: number | null; error: string };

export class MediaStream {
  readonly streamSid: string;
  readonly marksEchoed: string[] = [];
  readonly clears: number[] = [];
  readonly violations: string[] = [];
  readonly audioOnsets: number[] = [];
  /** Wall-clock times at which the caller's own audio went from silence to sound (was sent). */
  readonly sentOnsets: number[] = [];
  /**
   * Gaps between consecutive `media` messages from the server within one stretch of audio (gaps
   * over 500 ms are pauses between utterances, not lateness), for jitter statistics.
   */
  readonly mediaGapsMs: number[] = [];
  private lastMediaAtMs = 0;
  private lastSentSilent = true;
  /** Frames the caller heard as silence in the middle of an utterance (audio sent, no mark yet). */
  underrunFrames = 0;
  /** Server audio played to the caller so far (queued audio, not the silence between), in samples. */
  private playedSamples = 0;
  private utteranceOpen = false;
  /** performance.now() when `start` was sent, and when the first frame was played. */
  startedAtMs = 0;
  heardStartedAtMs = 0;
  readonly closed: Promise<CloseInfo>;

  private readonly opts: MediaStreamOptions;
  private readonly ws: WebSocket;
  private readonly playback = new PlaybackBuffer();
  private readonly heard: ByteLog | null;
  private readonly frame = new Uint8Array(FRAME_SAMPLES);
  private readonly upFrame = new Uint8Array(FRAME_SAMPLES);
  private sequence = 0;
  private chunk = 0;
  private lastFrameSilent = true;
  private unsubscribe: (() => void) | null = null;
  private closingBySimulator = false;
  private resolveClosed!: (info: CloseInfo) => void;
  private isClosed = false;

  // Caller audio waiting to be sent, with waiters resolved when their audio has gone out.
  private readonly upQueue: Int16Array[] = [];
  private upOffset = 0;
  private queuedSamples = 0;
  private sentSamples = 0;
  private readonly sendWaiters: { until: number; resolve: () => void }[] = [];

  private constructor(opts: MediaStreamOptions, ws: WebSocket) {
    this.opts = opts;
    this.streamSid = opts.streamSid;
    this.ws = ws;
    this.heard = opts.keepHeard === false ? null : new ByteLog(8000 * 10);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Connects and sends `connected` + `start`. Never throws; a refused upgrade is an outcome. */
  static open(opts: MediaStreamOptions): Promise<{ stream: MediaStream; outcome: StreamOpenOutcome }> {
    const headers: Record<string, string> = {};
    const signature = signatureHeader(opts.signature ?? 'valid', opts.authToken, opts.streamUrl, {});
    if (signature !== null) headers['x-twilio-signature'] = signature;
    const target = (opts.rewriteUrl ?? ((u) => u))(opts.streamUrl);
    const ws = new WebSocket(target, { headers, handshakeTimeout: opts.connectTimeoutMs ?? 10_000 });
    const stream = new MediaStream(opts, ws);
    return new Promise((resolve) => {
      let settled = false;
      ws.once('open', () => {
        settled = true;
        stream.begin();
        resolve({ stream, outcome: { ok: true } });
      });
      ws.on('error', (err) => {
        if (settled) return;
        settled = true;
        // ws reports a refused upgrade as "Unexpected server response: 403".
        const status = /Unexpected server response: (\d{3})/.exec(err.message)?.[1];
        stream.finish({ code: 1006, reason: err.message, by: 'never-opened' });
        resolve({
          stream,
          outcome: {
            ok: false,
            httpStatus: status ? Number(status) : null,
            error: `${target}: ${err.message}`,
          },
        });
      });
      ws.on('close', (code, reason) => {
        const by = stream.closingBySimulator ? 'simulator' : 'server';
        stream.finish({ code, reason: reason.toString('utf8'), by });
      });
      ws.on('message', (data, isBinary) => stream.onServerMessage(data, isBinary));
    });
  }

  get isOpen(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Server audio played to the caller so far, in ms (silence while nothing was queued not counted). */
  get playedAudioMs(): number {
    return this.playedSamples / SAMPLES_PER_MS;
  }

  /**
   * The network between the server and Twilio stalls for `ms`: nothing the server sends arrives
   * meanwhile (the socket is not read), then it all arrives at once, as TCP delivers a backlog.
   * The caller hears the buffer run dry, then the burst is queued and played in real time, so
   * that much audio sits in Twilio's buffer, ahead of the caller, from then on.
   */
  stallDownlink(ms: number): void {
    if (!this.isOpen) return;
    this.ws.pause();
    setTimeout(() => {
      if (this.isOpen) this.ws.resume();
    }, ms);
  }

  /** Server audio queued at Twilio and not yet played, in ms. */
  get bufferedPlaybackMs(): number {
    return this.playback.bufferedBytes / SAMPLES_PER_MS;
  }

  /** Queues caller audio (8 kHz PCM); resolves once its last frame has been sent. */
  sendAudio(pcm8k: Int16Array): Promise<void> {
    if (!this.isOpen)
      return Promise.reject(new Error(`stream ${this.streamSid} is closed; cannot send audio`));
    if (pcm8k.length === 0) return Promise.resolve();
    this.upQueue.push(pcm8k);
    this.queuedSamples += pcm8k.length;
    const until = this.queuedSamples;
    return new Promise((resolve) => this.sendWaiters.push({ until, resolve }));
  }

  /** Sends one `dtmf` message per key, `gapMs` apart (Twilio reports each key press separately). */
  async sendDtmf(digits: string, gapMs = 200): Promise<void> {
    const keys = [...digits];
    for (const key of keys) {
      if (!DtmfDigitSchema.safeParse(key).success)
        throw new TypeError(`sendDtmf: "${key}" is not a DTMF key`);
    }
    for (const [i, digit] of keys.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
      if (!this.isOpen) throw new Error(`stream ${this.streamSid} closed while sending DTMF`);
      const message: DtmfMessage = {
        event: 'dtmf',
        streamSid: this.streamSid,
        sequenceNumber: this.nextSequence(),
        dtmf: { track: 'inbound_track', digit },
      };
      this.ws.send(JSON.stringify(message));
    }
  }

  /** Caller hangs up: `stop`, then a normal close. Resolves when the socket is closed. */
  async hangup(): Promise<CloseInfo> {
    if (this.isOpen) {
      const message: StopMessage = {
        event: 'stop',
        sequenceNumber: this.nextSequence(),
        stop: { accountSid: this.opts.accountSid, callSid: this.opts.callSid },
        streamSid: this.streamSid,
      };
      this.ws.send(JSON.stringify(message));
      this.closingBySimulator = true;
      this.ws.close(1000, 'call ended');
      // A server that never answers the close handshake is cut off, as a real peer would be.
      const timer = setTimeout(() => this.ws.terminate(), 2000);
      await this.closed;
      clearTimeout(timer);
    }
    return this.closed;
  }

  /** The connection dies without `stop` or a close frame (network failure). */
  drop(): Promise<CloseInfo> {
    if (!this.isClosed) {
      this.closingBySimulator = true;
      this.ws.terminate();
    }
    return this.closed;
  }

  /** Sends bytes as they are, for bad-input tests. Strings go as text frames, Buffers as binary. */
  sendRaw(data: string | Buffer, opts?: { binary?: boolean }): void {
    if (!this.isOpen) throw new Error(`stream ${this.streamSid} is closed`);
    this.ws.send(data, { binary: opts?.binary ?? typeof data !== 'string' });
  }

  /** The heard timeline decoded to 8 kHz PCM, one 20 ms frame per tick since the stream started. */
  heardPcm(): Int16Array {
    if (!this.heard) throw new Error('heard audio was not kept (keepHeard: false)');
    const mulaw = this.heard.view();
    const pcm = new Int16Array(mulaw.length);
    decodeMulaw(mulaw, pcm);
    return pcm;
  }

  private begin(): void {
    const connected: ConnectedMessage = { event: 'connected', protocol: 'Call', version: '1.0.0' };
    const start: StartMessage = {
      event: 'start',
      sequenceNumber: this.nextSequence(),
      start: {
        accountSid: this.opts.accountSid,
        streamSid: this.streamSid,
        callSid: this.opts.callSid,
        tracks: ['inbound'],
        mediaFormat: { ...MEDIA_FORMAT },
        customParameters: { ...this.opts.parameters },
      },
      streamSid: this.streamSid,
    };
    this.ws.send(JSON.stringify(connected));
    this.ws.send(JSON.stringify(start));
    this.startedAtMs = performance.now();
    this.unsubscribe = (this.opts.clock ?? sharedFrameClock).subscribe((due) => this.onTick(due));
  }

  private onTick(dueMs: number): void {
    if (!this.isOpen) return;
    if (this.heardStartedAtMs === 0) this.heardStartedAtMs = dueMs;
    this.playDown(dueMs);
    this.sendUp(dueMs);
  }

  /** One frame of server audio reaches the caller's ear; marks it passed are echoed. */
  private playDown(dueMs: number): void {
    for (const name of this.playback.takeReachedMarks()) this.echoMark(name, dueMs, false);
    const audioBytes = this.playback.pullFrame(this.frame);
    this.playedSamples += audioBytes;
    if (this.utteranceOpen && audioBytes < FRAME_SAMPLES) this.underrunFrames++;
    const heardMs = this.heard
      ? this.heard.length / SAMPLES_PER_MS
      : Math.round(dueMs - this.heardStartedAtMs);
    this.heard?.append(FRAME_SAMPLES).set(this.frame);
    const silent = audioBytes === 0 || mulawPeak(this.frame, 0, audioBytes) < SILENCE_PEAK;
    if (!silent && this.lastFrameSilent) {
      this.audioOnsets.push(dueMs);
      this.opts.events.emit('media', { atMs: dueMs, heardMs });
    }
    this.lastFrameSilent = silent;
  }

  /** One 20 ms frame of caller audio (or line silence) goes to the server. */
  private sendUp(dueMs: number): void {
    let payload = SILENCE_PAYLOAD;
    if (this.upQueue.length > 0) {
      let filled = 0;
      while (filled < FRAME_SAMPLES && this.upQueue.length > 0) {
        const head = this.upQueue[0] as Int16Array;
        const n = Math.min(FRAME_SAMPLES - filled, head.length - this.upOffset);
        encodeMulaw(head.subarray(this.upOffset, this.upOffset + n), this.upFrame, filled);
        filled += n;
        this.upOffset += n;
        if (this.upOffset === head.length) {
          this.upQueue.shift();
          this.upOffset = 0;
        }
      }
      this.upFrame.fill(MULAW_SILENCE, filled);
      this.sentSamples += filled;
      const silent = mulawPeak(this.upFrame, 0, filled) < SILENCE_PEAK;
      if (!silent && this.lastSentSilent) this.sentOnsets.push(dueMs);
      this.lastSentSilent = silent;
      payload = Buffer.from(this.upFrame).toString('base64');
    }
    const message: MediaMessage = {
      event: 'media',
      sequenceNumber: this.nextSequence(),
      media: {
        track: 'inbound',
        chunk: String(++this.chunk),
        timestamp: String(Math.max(0, Math.round(dueMs - this.startedAtMs))),
        payload,
      },
      streamSid: this.streamSid,
    };
    this.ws.send(JSON.stringify(message));
    this.releaseSendWaiters();
  }

  private onServerMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const decoded = decodeOutbound(raw, { isBinary, maxBytes: this.opts.maxMessageBytes });
    if (!decoded.ok) return this.violation(`${decoded.error.code}: ${decoded.error.message}`);
    const message = decoded.message;
    if (message.streamSid !== this.streamSid) {
      return this.violation(
        `${message.event} names streamSid ${message.streamSid}, but this stream is ${this.streamSid}`,
      );
    }
    const atMs = performance.now();
    switch (message.event) {
      case 'media':
        if (this.lastMediaAtMs > 0 && atMs - this.lastMediaAtMs <= 500) {
          this.mediaGapsMs.push(atMs - this.lastMediaAtMs);
        }
        this.lastMediaAtMs = atMs;
        this.utteranceOpen = true;
        this.playback.enqueueAudio(payloadToMulaw(message.media.payload));
        break;
      case 'mark':
        // A mark closes an utterance: the next media message starts a new stretch of audio.
        this.lastMediaAtMs = 0;
        this.utteranceOpen = false;
        this.playback.enqueueMark(message.mark.name);
        break;
      case 'clear': {
        const droppedMs = this.playback.bufferedBytes / SAMPLES_PER_MS;
        const marks = this.playback.clear();
        this.lastMediaAtMs = 0;
        this.utteranceOpen = false;
        for (const name of marks) this.echoMark(name, atMs, true);
        this.clears.push(atMs);
        this.opts.events.emit('clear', { atMs, droppedMs, marks, playedMs: this.playedAudioMs });
        break;
      }
    }
  }

  private echoMark(name: string, atMs: number, cleared: boolean): void {
    if (!this.isOpen) return;
    const message: MarkMessage = {
      event: 'mark',
      sequenceNumber: this.nextSequence(),
      streamSid: this.streamSid,
      mark: { name },
    };
    this.ws.send(JSON.stringify(message));
    this.marksEchoed.push(name);
    this.opts.events.emit('mark', { name, atMs, cleared });
  }

  private violation(text: string): void {
    this.violations.push(text);
    this.opts.events.emit('violation', text);
  }

  private nextSequence(): string {
    return String(++this.sequence);
  }

  private releaseSendWaiters(): void {
    while (this.sendWaiters.length > 0 && (this.sendWaiters[0]?.until ?? Infinity) <= this.sentSamples) {
      this.sendWaiters.shift()?.resolve();
    }
  }

  private finish(info: Omit<CloseInfo, 'atMs'>): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    // Audio that can no longer be sent will never be: do not leave callers waiting.
    for (const waiter of this.sendWaiters.splice(0)) waiter.resolve();
    const closeInfo: CloseInfo = { ...info, atMs: performance.now() };
    this.resolveClosed(closeInfo);
    this.opts.events.emit('close', closeInfo);
  }
}
