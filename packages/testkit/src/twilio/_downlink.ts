/**
 * What the caller hears: server audio queued at Twilio (see _playback.ts) and played one 20 ms
 * frame per tick into the heard timeline, with what a test measures of it: onsets after silence,
 * underruns mid-utterance, gaps between the server's media messages, audio played so far.
 */
import { ByteLog } from './_byte-log.js';
import { FRAME_SAMPLES, SAMPLES_PER_MS, SILENCE_PEAK } from './_line-frame.js';
import { LineMarkers } from './_line-markers.js';
import { decodeMulaw, mulawPeak } from './_mulaw.js';
import { PlaybackBuffer } from './_playback.js';

/** A gap between media messages longer than this is a pause between utterances, not lateness. */
const MAX_JITTER_GAP_MS = 500;

export class Downlink {
  /** Wall-clock times at which the caller started hearing audio after silence. */
  readonly audioOnsets: number[] = [];
  /** Latency markers the caller heard, timed from when each frame really played (its tick ran). */
  readonly heardMarkers = new LineMarkers();
  /**
   * Latency markers as they reached Twilio, before the line's playout: each media message's audio
   * ends at its arrival, as a receiver of real-time frames times them.
   */
  readonly receivedMarkers = new LineMarkers();
  /**
   * Gaps between consecutive `media` messages from the server within one stretch of audio (gaps
   * over 500 ms are pauses between utterances, not lateness), for jitter statistics.
   */
  readonly mediaGapsMs: number[] = [];
  /** When (performance.now()) each of {@link mediaGapsMs} ended: the later message's arrival. */
  readonly mediaGapEndsMs: number[] = [];
  /** Frames the caller heard as silence in the middle of an utterance (audio sent, no mark yet). */
  underrunFrames = 0;
  private readonly playback = new PlaybackBuffer();
  private readonly heard: ByteLog | null;
  private readonly frame = new Uint8Array(FRAME_SAMPLES);
  /** Server audio played to the caller so far (queued audio, not the silence between), in samples. */
  private playedSamples = 0;
  private utteranceOpen = false;
  private lastMediaAtMs = 0;
  private lastFrameSilent = true;

  constructor(keepHeard: boolean) {
    this.heard = keepHeard ? new ByteLog(8000 * 10) : null;
  }

  /** Server audio played to the caller so far, in ms (silence while nothing was queued not counted). */
  get playedAudioMs(): number {
    return this.playedSamples / SAMPLES_PER_MS;
  }

  /** Server audio queued at Twilio and not yet played, in ms. */
  get bufferedMs(): number {
    return this.playback.bufferedBytes / SAMPLES_PER_MS;
  }

  /** A `media` message's μ-law arrived at `atMs`. */
  media(mulaw: Uint8Array, atMs: number): void {
    if (this.lastMediaAtMs > 0 && atMs - this.lastMediaAtMs <= MAX_JITTER_GAP_MS) {
      this.mediaGapsMs.push(atMs - this.lastMediaAtMs);
      this.mediaGapEndsMs.push(atMs);
    }
    this.lastMediaAtMs = atMs;
    this.utteranceOpen = true;
    this.receivedMarkers.push(mulaw, atMs - mulaw.length / SAMPLES_PER_MS);
    this.playback.enqueueAudio(mulaw);
  }

  /** A `mark` closes an utterance: the next media message starts a new stretch of audio. */
  mark(name: string): void {
    this.lastMediaAtMs = 0;
    this.utteranceOpen = false;
    this.playback.enqueueMark(name);
  }

  /** `clear`: the queued audio is dropped; returns how much, and the marks to echo at once. */
  clear(): { droppedMs: number; marks: string[] } {
    const droppedMs = this.bufferedMs;
    const marks = this.playback.clear();
    this.lastMediaAtMs = 0;
    this.utteranceOpen = false;
    return { droppedMs, marks };
  }

  /** At the start of a frame: the marks playback has reached by now, to echo. */
  reachedMarks(): string[] {
    return this.playback.takeReachedMarks();
  }

  /**
   * One frame of server audio reaches the caller's ear. Returns where in the heard timeline it
   * starts (ms) if audio began there after silence.
   */
  playFrame(dueMs: number, heardStartedAtMs: number): number | undefined {
    const audioBytes = this.playback.pullFrame(this.frame);
    this.heardMarkers.push(this.frame, performance.now());
    this.playedSamples += audioBytes;
    if (this.utteranceOpen && audioBytes < FRAME_SAMPLES) this.underrunFrames++;
    const heardMs = this.heard ? this.heard.length / SAMPLES_PER_MS : Math.round(dueMs - heardStartedAtMs);
    this.heard?.append(FRAME_SAMPLES).set(this.frame);
    const silent = audioBytes === 0 || mulawPeak(this.frame, 0, audioBytes) < SILENCE_PEAK;
    const onset = !silent && this.lastFrameSilent;
    this.lastFrameSilent = silent;
    if (!onset) return undefined;
    this.audioOnsets.push(dueMs);
    return heardMs;
  }

  /** The heard timeline decoded to 8 kHz PCM, one 20 ms frame per tick since the stream started. */
  heardPcm(): Int16Array {
    if (!this.heard) throw new Error('heard audio was not kept (keepHeard: false)');
    const mulaw = this.heard.view();
    const pcm = new Int16Array(mulaw.length);
    decodeMulaw(mulaw, pcm);
    return pcm;
  }
}
