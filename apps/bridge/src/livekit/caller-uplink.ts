/**
 * The caller's audio on its way into the phone's LiveKit track: held while no agent listens yet,
 * then released; a bounded backlog while it streams; frames handed to the capture source one at a
 * time without ever making the socket handler wait.
 *
 * The capture source has no queue ({@link DIRECT_CAPTURE_QUEUE_MS}): LiveKit hands each 10 ms frame
 * straight to the Opus encoder instead of parking it in a buffer that a capture thread drains on its
 * own 10 ms tick. A Twilio frame is on its way to the agent as soon as it arrives (the queue and the
 * tick cost the caller 10–30 ms a turn), the far end's jitter buffer absorbs the line's lateness, as
 * it does for any WebRTC sender, and a call has one thread fewer. rtc-node still estimates how far
 * the audio handed over runs ahead of real time (`queuedDuration`): that is the backlog below.
 */
import { AudioFrame, type AudioSource } from '@livekit/rtc-node';
import type { Logger } from '../logger.js';
import { reachesDbfs } from '../media/frame-level.js';
import { ArrivalJitter } from './arrival-jitter.js';

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
  /**
   * Above this backlog (ms) silent frames are dropped (inaudible) until it is back under: the most
   * the uplink queues for lateness. Below it, the backlog kept follows the lateness the caller's
   * frames arrive with ({@link ArrivalJitter}), down to {@link minTargetBacklogMs}.
   */
  targetBacklogMs: number;
  /** The least backlog (ms) kept for lateness when frames arrive on time. Default 20. */
  minTargetBacklogMs?: number;
  /** Once the backlog is under this (ms) after held audio was released, the catch-up is over. */
  maxBacklogMs: number;
  /** Once a capture has waited this long (ms), LiveKit takes no frames: any frame is dropped meanwhile. */
  maxWaitingMs: number;
  log: Logger;
  /** Monotonic clock (ms) for arrival times; default performance.now. */
  now?: () => number;
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
  trimmedSilentFrames = 0;
  /**
   * The backlog (ms) the latest frame met once released, less the catch-up allowance: what LiveKit
   * has not taken yet because it could not keep up (admission reads it).
   */
  backlogMs = 0;
  /** How much held caller audio (ms) was released to the agent once it listened. */
  heldReleasedMs = 0;

  private readonly jitter: ArrivalJitter;
  private readonly pieces: DirectCapturePieces;
  private readonly now: () => number;

  constructor(private readonly opts: CallerUplinkOptions) {
    this.jitter = new ArrivalJitter({
      floorMs: Math.min(opts.minTargetBacklogMs ?? 20, opts.targetBacklogMs),
      ceilingMs: opts.targetBacklogMs,
    });
    this.now = opts.now ?? (() => performance.now());
    this.pieces = new DirectCapturePieces(opts.sampleRate);
  }

  /** The backlog (ms) above which silent frames are trimmed now: what the lateness seen needs. */
  get targetBacklogMs(): number {
    return this.jitter.targetMs;
  }

  /** The published track's capture source: from now on line silence flows while audio is held. */
  attach(source: AudioSource): void {
    this.source = source;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * An agent listens: the held audio goes out, leading silence trimmed, the rest at once, and the
   * backlog allowed to exceed its bound by what is left of it until LiveKit has consumed it (silent
   * frames are still trimmed meanwhile, so the line catches up in the caller's pauses).
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
    this.pending.push(...release);
    if (!this.capturing) void this.drain();
  }

  /**
   * Hands caller audio to LiveKit without ever making the socket handler wait: while one frame is
   * in flight the next ones queue here.
   */
  push(pcm: Int16Array): void {
    if (this.closed) return;
    const frameMs = (pcm.length / this.opts.sampleRate) * 1000;
    this.jitter.note(this.now(), frameMs);
    if (!this.released || !this.source) {
      this.hold(pcm);
      // The track carries line silence meanwhile, as a phone line does: a track that starts
      // silent and then only sends late was heard ~1 s behind for the rest of the call.
      if (this.source && this.pending.length === 0) {
        this.pending.push(new Int16Array(pcm.length));
        if (!this.capturing) void this.drain();
      }
      return;
    }
    const backlogMs = this.source.queuedDuration + this.pending.length * frameMs;
    if (this.catchUpMs > 0 && backlogMs <= this.opts.maxBacklogMs) this.catchUpMs = 0;
    this.backlogMs = Math.max(0, backlogMs - this.catchUpMs);
    // Speech is dropped only when LiveKit takes no frames: a capture has waited too long. Frames that
    // arrive late in a burst (a stalled line or process) run "ahead" by rtc-node's estimate but are
    // late for the far end, whose jitter buffer catches up: dropping them at a 200 ms bound cost the
    // caller whole words after every stall (during speech there is no silence to trim, and the
    // estimate stays at the bound), and a burst is pushed here all at once, so neither its size
    // nor the estimate says LiveKit is behind.
    const capturingForMs = this.captureStartedAt === undefined ? 0 : this.now() - this.captureStartedAt;
    if (capturingForMs > this.opts.maxWaitingMs + this.catchUpMs) {
      this.droppedFrames++;
      return;
    }
    if (backlogMs > this.jitter.targetMs && isSilent(pcm)) {
      this.trimmedSilentFrames++;
      return;
    }
    this.pending.push(pcm);
    if (!this.capturing) void this.drain();
  }

  /** Drops what is queued or held; nothing more is captured. */
  close(): void {
    this.closed = true;
    this.pending.length = 0;
    this.held = [];
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
        // Released held audio goes out at the pace of speech, not as one burst the far end's
        // jitter buffer would have to squeeze (it time-stretched the first words).
        while (this.catchUpMs > 0 && this.source!.queuedDuration > this.jitter.targetMs)
          await new Promise((r) => setTimeout(r, 10));
        if (this.closed) break;
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

/** Below about -50 dBFS: background, not speech. */
export function isSilent(pcm: Int16Array): boolean {
  return !reachesDbfs(pcm, -50);
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
