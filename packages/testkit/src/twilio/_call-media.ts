/**
 * A call's side of its Media Streams: opening each `<Connect><Stream>` (with the stream's status
 * callbacks), what the caller hears on it, readable at any time, and what the caller does on it.
 * SimulatedCall (_call.ts) adds how Twilio runs the call around the streams.
 */
import { EventEmitter } from 'node:events';
import { writeWav } from '../audio-fixtures/index.js';
import type { CloseInfo, LineMarkerOnsets, SimulatedCallEvents } from './_events.js';
import type { FrameClock } from './_frame-clock.js';
import { MediaStream } from './_media-stream.js';
import { pollFor } from './_poll.js';
import { newSid } from './_sids.js';
import type { SignatureMode } from './_signed-post.js';
import { postStreamStatus } from './_status-callbacks.js';
import type { StreamInstruction } from './_twiml-reader.js';

/** What opening a call's streams needs. */
export interface CallMediaSetup {
  accountSid: string;
  callSid: string;
  authToken: string;
  rewriteUrl: (url: string) => string;
  clock: FrameClock | undefined;
  keepHeard: boolean;
  /** Wait between the TwiML answer and the stream's connect (see InboundCallOptions). */
  streamGapMs?: number;
}

export abstract class CallMedia extends EventEmitter<SimulatedCallEvents> {
  readonly callSid: string;
  readonly accountSid: string;
  /** The `<Stream>` Twilio was told to open, if any. */
  streamInstruction: StreamInstruction | null = null;
  streamSid: string | null = null;
  /** Set when the stream's WebSocket upgrade failed (e.g. 403 for a bad signature). */
  streamRefused: { httpStatus: number | null; error: string } | null = null;
  /** The StreamSid of every Media Stream opened, in order (a new one after each `<Connect>`). */
  readonly streamSids: string[] = [];
  /** Resolves when the media stream closes (immediately, `by: 'never-opened'`, if there is none). */
  readonly closed: Promise<CloseInfo>;

  protected stream: MediaStream | null = null;
  private readonly media: CallMediaSetup;
  private resolveClosed!: (info: CloseInfo) => void;

  constructor(media: CallMediaSetup) {
    super();
    this.media = media;
    this.callSid = media.callSid;
    this.accountSid = media.accountSid;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  // ---- stream state, readable at any time -------------------------------------------------

  get marksEchoed(): readonly string[] {
    return this.stream?.marksEchoed ?? [];
  }
  /** Wall-clock times (performance.now) at which a `clear` arrived. */
  get clears(): readonly number[] {
    return this.stream?.clears ?? [];
  }
  get violations(): readonly string[] {
    return this.stream?.violations ?? [];
  }
  /** Wall-clock times at which the caller started hearing audio after silence. */
  get audioOnsets(): readonly number[] {
    return this.stream?.audioOnsets ?? [];
  }
  /** Resolves with the first moment after `afterMs` (performance.now) the caller started hearing audio. */
  async waitForAudioOnset(afterMs: number, timeoutMs = 20_000): Promise<number> {
    return pollFor(() => this.audioOnsets.find((t) => t > afterMs), {
      timeoutMs,
      failure: () => `call ${this.callSid}: no audio reached the caller in time`,
    });
  }

  /** Wall-clock times at which the caller started sending audio after silence. */
  get sentOnsets(): readonly number[] {
    return this.stream?.sentOnsets ?? [];
  }
  /** Latency markers sent, heard and received at Twilio, each timed to its first loud sample. */
  get markerOnsets(): LineMarkerOnsets {
    return this.stream?.markerOnsets ?? { sent: [], heard: [], received: [] };
  }
  /** Gaps (ms) between consecutive media messages from the server within a stretch of audio. */
  get mediaGapsMs(): readonly number[] {
    return this.stream?.mediaGapsMs ?? [];
  }
  /** When each of {@link mediaGapsMs} ended (performance.now() of the later message). */
  get mediaGapEndsMs(): readonly number[] {
    return this.stream?.mediaGapEndsMs ?? [];
  }
  /** 20 ms frames heard as (partial) silence mid-utterance because audio arrived late. */
  get underrunFrames(): number {
    return this.stream?.underrunFrames ?? 0;
  }
  get bufferedPlaybackMs(): number {
    return this.stream?.bufferedPlaybackMs ?? 0;
  }
  /** Server audio the caller has heard so far, in ms (the silence between utterances not counted). */
  get playedAudioMs(): number {
    return this.stream?.playedAudioMs ?? 0;
  }
  /** performance.now() when `start` was sent; the heard timeline starts one tick (≤ 20 ms) later. */
  get streamStartedAtMs(): number {
    return this.stream?.startedAtMs ?? 0;
  }
  get heardStartedAtMs(): number {
    return this.stream?.heardStartedAtMs ?? 0;
  }

  // ---- what the caller does on the stream ---------------------------------------------------

  /** Speaks into the phone: 8 kHz PCM, sent in real time. Resolves when the last frame went out. */
  sendAudio(pcm8k: Int16Array): Promise<void> {
    return this.requireStream('sendAudio').sendAudio(pcm8k);
  }

  /** Presses keys; one `dtmf` message per key. */
  sendDtmf(digits: string, gapMs?: number): Promise<void> {
    return this.requireStream('sendDtmf').sendDtmf(digits, gapMs);
  }

  /** The media connection dies without `stop` (Twilio then carries on with the next verb). */
  async dropSocket(): Promise<CloseInfo> {
    return this.requireStream('dropSocket').drop();
  }

  /** The network from the server to Twilio stalls for `ms`, then delivers its backlog at once. */
  stallDownlink(ms: number): void {
    this.requireStream('stallDownlink').stallDownlink(ms);
  }

  /** Sends arbitrary bytes on the media socket, for bad-input tests. */
  sendRaw(data: string | Buffer, opts?: { binary?: boolean }): void {
    this.requireStream('sendRaw').sendRaw(data, opts);
  }

  /** What the caller heard: 8 kHz PCM, one 20 ms frame per tick from stream start (silence included). */
  heardPcm(): Int16Array {
    return this.requireStream('heardPcm').heardPcm();
  }

  saveHeard(path: string): void {
    writeWav(path, this.heardPcm(), 8000);
  }

  // ---- opening and closing streams (driven by SimulatedCall) --------------------------------

  protected async openStream(instruction: StreamInstruction, signature: SignatureMode): Promise<boolean> {
    this.streamInstruction = instruction;
    const gap = this.media.streamGapMs ?? 0;
    if (gap > 0) await new Promise((r) => setTimeout(r, gap)); // modelled Twilio time, not a test wait
    const streamSid = newSid('MZ');
    const { stream, outcome } = await MediaStream.open({
      streamUrl: instruction.url,
      parameters: instruction.parameters,
      authToken: this.media.authToken,
      accountSid: this.accountSid,
      callSid: this.callSid,
      streamSid,
      events: this,
      signature,
      rewriteUrl: this.media.rewriteUrl,
      clock: this.media.clock,
      keepHeard: this.media.keepHeard,
    });
    this.stream = stream;
    this.streamSid = streamSid;
    this.streamSids.push(streamSid);
    void stream.closed.then((info) => this.resolveClosed(info));
    if (!outcome.ok) this.streamRefused = { httpStatus: outcome.httpStatus, error: outcome.error };
    void this.streamStatus(instruction, streamSid, outcome.ok ? 'stream-started' : 'stream-error', outcome);
    return outcome.ok;
  }

  /** Waits for the open stream to close, then posts its `stream-stopped` status callback. */
  protected async streamEnd(): Promise<void> {
    await (this.stream as MediaStream).closed;
    if (this.streamInstruction && this.streamSid) {
      await this.streamStatus(this.streamInstruction, this.streamSid, 'stream-stopped', { ok: true });
    }
  }

  /** The call ended without ever opening a stream: `closed` resolves as `never-opened`. */
  protected noStreamOpened(): void {
    if (this.stream) return;
    this.resolveClosed({
      code: 1006,
      reason: 'no media stream was opened',
      by: 'never-opened',
      atMs: performance.now(),
    });
  }

  private async streamStatus(
    instruction: StreamInstruction,
    streamSid: string,
    event: 'stream-started' | 'stream-stopped' | 'stream-error',
    outcome: { ok: true } | { ok: false; error: string },
  ): Promise<void> {
    if (instruction.statusCallback === null) return;
    await postStreamStatus({
      url: instruction.statusCallback,
      authToken: this.media.authToken,
      accountSid: this.accountSid,
      callSid: this.callSid,
      streamSid,
      streamName: instruction.name,
      event,
      error: outcome.ok ? undefined : outcome.error,
      rewriteUrl: this.media.rewriteUrl,
    });
  }

  protected requireStream(what: string): MediaStream {
    if (this.stream) return this.stream;
    throw new Error(`${what}: call ${this.callSid} has no media stream (${this.noStreamReason()})`);
  }

  /** Why the call has no media stream, for the error of a stream action. */
  protected abstract noStreamReason(): string;
}
