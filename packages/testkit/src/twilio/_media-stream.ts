/**
 * Twilio's end of one bidirectional Media Stream (`<Connect><Stream>`): opens the signed WebSocket,
 * sends `connected` and `start`, then behaves like a phone line on a 20 ms clock: one `media`
 * frame up per tick (the caller's audio, _uplink.ts) and one frame of server audio played down per
 * tick into the heard timeline (_downlink.ts). Everything the server sends is checked against the
 * documented outbound messages; anything else is a violation.
 */
import type { EventEmitter } from 'node:events';
import { decodeOutbound, DtmfDigitSchema, payloadToMulaw } from '@callbridge/twilio-media';
import WebSocket from 'ws';
import { Downlink } from './_downlink.js';
import type { CloseInfo, LineMarkerOnsets, SimulatedCallEvents } from './_events.js';
import { type FrameClock, sharedFrameClock } from './_frame-clock.js';
import { signatureHeader, type SignatureMode } from './_signed-post.js';
import { StreamMessages } from './_stream-messages.js';
import { Uplink } from './_uplink.js';

export { FRAME_SAMPLES } from './_line-frame.js';

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
  /** performance.now() when `start` was sent, and when the first frame was played. */
  startedAtMs = 0;
  heardStartedAtMs = 0;
  readonly closed: Promise<CloseInfo>;

  private readonly opts: MediaStreamOptions;
  private readonly ws: WebSocket;
  private readonly uplink = new Uplink();
  private readonly downlink: Downlink;
  private readonly messages: StreamMessages;
  private unsubscribe: (() => void) | null = null;
  private closingBySimulator = false;
  private resolveClosed!: (info: CloseInfo) => void;
  private isClosed = false;

  private constructor(opts: MediaStreamOptions, ws: WebSocket) {
    this.opts = opts;
    this.streamSid = opts.streamSid;
    this.ws = ws;
    this.downlink = new Downlink(opts.keepHeard !== false);
    this.messages = new StreamMessages(opts);
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
    return this.downlink.playedAudioMs;
  }

  /** Wall-clock times at which the caller started hearing audio after silence. */
  get audioOnsets(): readonly number[] {
    return this.downlink.audioOnsets;
  }

  /** Wall-clock times at which the caller's own audio went from silence to sound (was sent). */
  get sentOnsets(): readonly number[] {
    return this.uplink.onsets;
  }

  /** Latency markers sent, heard and received at Twilio (see {@link LineMarkerOnsets}). */
  get markerOnsets(): LineMarkerOnsets {
    const { uplink, downlink } = this;
    return {
      sent: uplink.markers.onsets,
      heard: downlink.heardMarkers.onsets,
      received: downlink.receivedMarkers.onsets,
    };
  }

  /** Gaps between consecutive `media` messages from the server within one stretch of audio. */
  get mediaGapsMs(): readonly number[] {
    return this.downlink.mediaGapsMs;
  }

  /** When each of {@link mediaGapsMs} ended (performance.now() of the later message). */
  get mediaGapEndsMs(): readonly number[] {
    return this.downlink.mediaGapEndsMs;
  }

  /** Frames the caller heard as silence in the middle of an utterance (audio sent, no mark yet). */
  get underrunFrames(): number {
    return this.downlink.underrunFrames;
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
    return this.downlink.bufferedMs;
  }

  /** Queues caller audio (8 kHz PCM); resolves once its last frame has been sent. */
  sendAudio(pcm8k: Int16Array): Promise<void> {
    if (!this.isOpen)
      return Promise.reject(new Error(`stream ${this.streamSid} is closed; cannot send audio`));
    return this.uplink.enqueue(pcm8k);
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
      this.send(this.messages.dtmf(digit));
    }
  }

  /** Caller hangs up: `stop`, then a normal close. Resolves when the socket is closed. */
  async hangup(): Promise<CloseInfo> {
    if (this.isOpen) {
      this.send(this.messages.stop());
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
    return this.downlink.heardPcm();
  }

  private begin(): void {
    this.send(this.messages.connected());
    this.send(this.messages.start(this.opts.parameters));
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
    for (const name of this.downlink.reachedMarks()) this.echoMark(name, dueMs, false);
    const heardMs = this.downlink.playFrame(dueMs, this.heardStartedAtMs);
    if (heardMs !== undefined) this.opts.events.emit('media', { atMs: dueMs, heardMs });
  }

  /** One 20 ms frame of caller audio (or line silence) goes to the server. */
  private sendUp(dueMs: number): void {
    const timestampMs = Math.max(0, Math.round(dueMs - this.startedAtMs));
    this.send(this.messages.media(this.uplink.nextPayload(dueMs), timestampMs));
    this.uplink.frameSent();
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
        this.downlink.media(payloadToMulaw(message.media.payload), atMs);
        break;
      case 'mark':
        this.downlink.mark(message.mark.name);
        break;
      case 'clear': {
        const { droppedMs, marks } = this.downlink.clear();
        for (const name of marks) this.echoMark(name, atMs, true);
        this.clears.push(atMs);
        this.opts.events.emit('clear', { atMs, droppedMs, marks, playedMs: this.playedAudioMs });
        break;
      }
    }
  }

  private echoMark(name: string, atMs: number, cleared: boolean): void {
    if (!this.isOpen) return;
    this.send(this.messages.mark(name));
    this.marksEchoed.push(name);
    this.opts.events.emit('mark', { name, atMs, cleared });
  }

  private violation(text: string): void {
    this.violations.push(text);
    this.opts.events.emit('violation', text);
  }

  private send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  private finish(info: Omit<CloseInfo, 'atMs'>): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    // Audio that can no longer be sent will never be: do not leave callers waiting.
    this.uplink.releaseAll();
    const closeInfo: CloseInfo = { ...info, atMs: performance.now() };
    this.resolveClosed(closeInfo);
    this.opts.events.emit('close', closeInfo);
  }
}
