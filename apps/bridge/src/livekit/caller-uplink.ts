/**
 * The caller's audio on its way into the phone's LiveKit track: held while no agent listens yet,
 * then released; on a steady clock while it streams ({@link UplinkPacer}); frames handed to the
 * capture source one at a time without ever making the socket handler wait.
 *
 * The capture source has no queue ({@link DIRECT_CAPTURE_QUEUE_MS}): LiveKit hands each 10 ms frame
 * straight to the Opus encoder instead of parking it in a buffer that a capture thread drains on its
 * own 10 ms tick. A Twilio frame is on its way to the agent as soon as its slot comes (on a steady
 * line: as soon as it arrives), and a call has one thread fewer. rtc-node still estimates how far
 * the audio handed over runs ahead of real time (`queuedDuration`): part of the backlog below.
 */
import { AudioFrame, type AudioSource } from '@livekit/rtc-node';
import type { Logger } from '../logger.js';
import { UPLINK_PACING, UplinkPacer, isSilent } from './uplink-pacer.js';
import { sharedUplinkTicker, type UplinkTicker } from './uplink-ticker.js';

/** The capture source's queue: none, frames go to the encoder as they are captured. */
export const DIRECT_CAPTURE_QUEUE_MS = 0;
/** A source without a queue takes exactly 10 ms per capture. */
export const DIRECT_CAPTURE_FRAME_MS = 10;
/** Caller audio held while no agent listens yet; beyond this the oldest is dropped (and counted). */
export const HOLD_MAX_MS = 10_000;
/** Of the silence before the caller's first words, this much is kept (the model's VAD pads speech). */
const HOLD_LEAD_SILENCE_MS = 300;

export interface CallerUplinkOptions {
  sampleRate: number;
  /** Once the backlog is under this (ms) after held audio was released, the catch-up is over. */
  maxBacklogMs: number;
  /** Once a capture has waited this long (ms), LiveKit takes no frames: any frame is dropped meanwhile. */
  maxWaitingMs: number;
  log: Logger;
  /** Monotonic clock (ms) for arrival times; default performance.now. */
  now?: () => number;
  /** The clock that paces the frames; default the process's shared one. */
  ticker?: UplinkTicker;
}

export class CallerUplink {
  private source?: AudioSource;
  private readonly pending: Int16Array[] = [];
  /**
   * Caller audio from before anyone listens (the agent not yet subscribed to the phone's track, or
   * its session not yet up): LiveKit forwards nothing to a subscriber that is not there yet, so the
   * caller's first words would be lost. Released as soon as an agent listens.
   */
  private held: Int16Array[] = [];
  private heldSamples = 0;
  private released = false;
  /**
   * While catching up after a release, the backlog may exceed maxBacklogMs by the released amount:
   * it only shrinks as the caller's pauses are trimmed (LiveKit consumes in real time while the
   * caller goes on speaking), so speech is not dropped meanwhile. Over once the backlog is back
   * under maxBacklogMs.
   */
  private catchUpMs = 0;
  private capturing = false;
  /** When the capture in flight was handed to LiveKit (undefined: none in flight). */
  private captureStartedAt: number | undefined;
  private closed = false;
  droppedFrames = 0;
  /** Late silent frames left out once streaming, so that the line catches up in the caller's pauses. */
  trimmedSilentFrames = 0;
  /**
   * The backlog (ms) the latest frame met once released, less the catch-up allowance: what LiveKit
   * has not taken yet because it could not keep up (admission reads it).
   */
  backlogMs = 0;
  /** How much held caller audio (ms) was released to the agent once it listened. */
  heldReleasedMs = 0;

  private readonly pacer: UplinkPacer;
  private readonly pieces: DirectCapturePieces;
  private readonly now: () => number;
  private stopTicking: (() => void) | undefined;

  constructor(private readonly opts: CallerUplinkOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.pieces = new DirectCapturePieces(opts.sampleRate);
    this.pacer = new UplinkPacer(opts.sampleRate, { ...UPLINK_PACING, send: (pcm) => this.capture(pcm) });
  }

  /** Slots sent as silence because the caller's frame was not there in time (the line stalled). */
  get filledSilentFrames(): number {
    return this.pacer.filledSilence;
  }

  /** The published track's capture source: from now on line silence flows while audio is held. */
  attach(source: AudioSource): void {
    this.source = source;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * An agent listens: the held audio goes out, leading silence trimmed, the rest one frame per slot
   * (at the pace of speech, not as a burst the far end's jitter buffer would have to squeeze), and
   * the backlog allowed to exceed its bound by what is left of it until it has gone (late silence is
   * still dropped meanwhile, so the line catches up in the caller's pauses).
   */
  release(): void {
    if (this.released || this.closed || !this.source) return;
    this.released = true;
    const held = this.held;
    this.held = [];
    this.heldSamples = 0;
    const firstLoud = held.findIndex((pcm) => !isSilent(pcm));
    const heldMs = Math.round((held.reduce((n, p) => n + p.length, 0) / this.opts.sampleRate) * 1000);
    this.opts.log.info({ heldMs, speech: firstLoud >= 0 }, 'an agent listens: held caller audio released');
    if (firstLoud < 0) return; // only silence so far: nothing worth sending late
    const frameMs = ((held[0]?.length ?? 0) / this.opts.sampleRate) * 1000;
    const keepFrom = Math.max(0, firstLoud - Math.round(HOLD_LEAD_SILENCE_MS / Math.max(1, frameMs)));
    const release = held.slice(keepFrom);
    this.heldReleasedMs = release.length * frameMs;
    this.catchUpMs = this.heldReleasedMs;
    this.pacer.queue(release, this.now());
    this.keepTicking();
  }

  /**
   * Hands caller audio to LiveKit without ever making the socket handler wait: the frame goes to
   * the uplink's clock, and while one capture is in flight the next ones queue here.
   */
  push(pcm: Int16Array): void {
    if (this.closed) return;
    const now = this.now();
    if (!this.released || !this.source) {
      this.hold(pcm);
      // The track carries line silence meanwhile, as a phone line does: a track that starts
      // silent and then only sends late was heard ~1 s behind for the rest of the call.
      if (this.source) this.offer(new Int16Array(pcm.length), now);
      return;
    }
    const frameMs = (pcm.length / this.opts.sampleRate) * 1000;
    const backlogMs = this.source.queuedDuration + this.pending.length * frameMs + this.pacer.waitingMs;
    if (this.catchUpMs > 0 && backlogMs <= this.opts.maxBacklogMs) this.catchUpMs = 0;
    this.backlogMs = Math.max(0, backlogMs - this.catchUpMs);
    // Speech is dropped only when LiveKit takes no frames: a capture has waited too long. A burst of
    // late frames (a stalled line or process) is no reason: its words wait for their slots on the
    // clock, and only its silence is dropped. Dropping late speech at a 200 ms bound once cost the
    // caller whole words after every stall, and a burst is pushed here all at once, so its size does
    // not say LiveKit is behind.
    const capturingForMs = this.captureStartedAt === undefined ? 0 : now - this.captureStartedAt;
    if (capturingForMs > this.opts.maxWaitingMs + this.catchUpMs) {
      this.droppedFrames++;
      return;
    }
    if (this.offer(pcm, now) === 'dropped') this.trimmedSilentFrames++;
  }

  /** Drops what is queued or held; nothing more is captured. */
  close(): void {
    this.closed = true;
    this.pending.length = 0;
    this.held = [];
    this.pacer.clear();
    this.stopTicking?.();
    this.stopTicking = undefined;
  }

  private offer(pcm: Int16Array, now: number): 'sent' | 'waiting' | 'dropped' {
    const outcome = this.pacer.offer(pcm, now);
    this.keepTicking();
    return outcome;
  }

  /** The clock beats for this call while its pacer has work: frames waiting, or a line to fill. */
  private keepTicking(): void {
    if (this.stopTicking || this.closed) return;
    this.stopTicking = (this.opts.ticker ?? sharedUplinkTicker).add((now, late) => {
      try {
        this.pacer.tick(now, late);
      } catch (err) {
        this.opts.log.error({ err }, 'the uplink clock failed at a beat; it tries again at the next');
      }
      if (this.closed || !this.pacer.active(now)) {
        this.stopTicking?.();
        this.stopTicking = undefined;
      }
    });
  }

  /** A frame whose slot has come: to LiveKit, after any capture still in flight. */
  private capture(pcm: Int16Array): void {
    if (this.closed || !this.source) return;
    this.pending.push(pcm);
    if (!this.capturing) void this.drain();
  }

  private hold(pcm: Int16Array): void {
    this.held.push(pcm);
    this.heldSamples += pcm.length;
    while (this.heldSamples > (HOLD_MAX_MS / 1000) * this.opts.sampleRate) {
      this.heldSamples -= this.held.shift()!.length;
      this.droppedFrames++;
    }
  }

  private async drain(): Promise<void> {
    this.capturing = true;
    try {
      for (let pcm = this.pending.shift(); pcm && !this.closed; pcm = this.pending.shift()) {
        for (const piece of this.pieces.cut(pcm)) {
          if (this.closed) break;
          this.captureStartedAt = this.now();
          await this.source!.captureFrame(new AudioFrame(piece, this.opts.sampleRate, 1, piece.length));
          this.captureStartedAt = undefined;
        }
      }
    } catch {
      // The source is closed during teardown; nothing left to deliver.
    } finally {
      this.capturing = false;
      // A capture that threw is not in flight: it must not read as LiveKit taking no frames.
      this.captureStartedAt = undefined;
    }
  }
}

/**
 * Cuts the caller's frames into the 10 ms pieces a queueless capture source takes, each its own
 * buffer (rtc-node hands the native side a frame's whole underlying buffer, so a view into a larger
 * one would not do). A frame that is not a whole number of pieces leaves its remainder for the next.
 */
export class DirectCapturePieces {
  private readonly size: number;
  private rest = new Int16Array(0);

  constructor(sampleRate: number) {
    this.size = (sampleRate * DIRECT_CAPTURE_FRAME_MS) / 1000;
  }

  cut(pcm: Int16Array): Int16Array[] {
    if (this.rest.length === 0 && pcm.length === this.size) return [pcm];
    // Twilio's frames are whole pieces: then nothing is carried and the frame is not copied twice.
    const all = this.rest.length === 0 ? pcm : joined(this.rest, pcm);
    const pieces: Int16Array[] = [];
    let at = 0;
    for (; at + this.size <= all.length; at += this.size) pieces.push(all.slice(at, at + this.size));
    this.rest = all.slice(at);
    return pieces;
  }
}

function joined(a: Int16Array, b: Int16Array): Int16Array {
  const all = new Int16Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  return all;
}
