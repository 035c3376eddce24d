/**
 * The caller's frames on a steady clock, as a gateway between a phone line and a packet network
 * sends them: one frame per frame time, whatever the line does. A frame that is not there when its
 * slot is due (after a short grace) goes as silence; a frame that comes too late for its slot waits
 * for the next one, or is dropped if it is silence. Speech is never dropped here.
 *
 * Why: LiveKit's far end (the agent) hears the phone through a WebRTC jitter buffer. When the line
 * stalls and then delivers a burst, a sender that passes the burst straight on makes that buffer
 * grow its delay, and it gives the delay back only over the next 5–20 s. A steady sender keeps it
 * small: the stall is heard as the silence it was, and the late words catch up in the caller's next
 * pause. Frames that arrive on cadence (within {@link UplinkPacerOptions.earlyMs} of their slot)
 * go out the moment they arrive, so a steady line pays nothing.
 */
import { reachesDbfs } from '../media/frame-level.js';

export interface UplinkPacerOptions {
  /** How early a frame may go before its slot, ms: the line's small jitter passes through. */
  earlyMs: number;
  /** How long past its slot a frame is waited for before silence goes in its place, ms. */
  graceMs: number;
  /** Silence is filled in for at most this long after the latest frame arrived, ms (then the line is paused). */
  maxFillMs: number;
  /** Hands a frame on towards LiveKit. */
  send: (pcm: Int16Array) => void;
}

/** What the bridge uses: small jitter passes, a frame 10 ms overdue becomes silence, fill for up to 1 s. */
export const UPLINK_PACING = { earlyMs: 10, graceMs: 10, maxFillMs: 1000 } as const;

export class UplinkPacer {
  private readonly waiting: Int16Array[] = [];
  private waitingSamples = 0;
  /** When the next slot is due (undefined: no frame yet). */
  private slotAt: number | undefined;
  private lastArrivalAt = -Infinity;
  /** Samples in a frame, as the line sends them (silence is filled in frames of this size). */
  private frameSamples = 0;
  /** Slots sent as silence because the caller's frame was not there. */
  filledSilence = 0;

  constructor(
    private readonly sampleRate: number,
    private readonly opts: UplinkPacerOptions,
  ) {}

  /** Caller audio waiting for its slot, ms. */
  get waitingMs(): number {
    return (this.waitingSamples / this.sampleRate) * 1000;
  }

  /** Whether the clock still has work at `now`: frames waiting, or a line whose silence is filled in. */
  active(now: number): boolean {
    return (
      this.waiting.length > 0 ||
      (this.slotAt !== undefined && now - this.lastArrivalAt <= this.opts.maxFillMs)
    );
  }

  /**
   * A frame from the line arrived at `now`: sent at once, left waiting for its slot, or dropped
   * (late silence: the line catching up in a pause).
   */
  offer(pcm: Int16Array, now: number): 'sent' | 'waiting' | 'dropped' {
    this.frameSamples = pcm.length;
    const slotAt = this.startIfPaused(now);
    this.lastArrivalAt = now;
    if (this.waiting.length === 0 && now >= slotAt - this.opts.earlyMs) {
      this.sendNext(pcm);
      return 'sent';
    }
    if (isSilent(pcm)) return 'dropped';
    this.enqueue(pcm);
    return 'waiting';
  }

  /**
   * Audio that is late by design (held while no agent listened): it all goes, silence too, one
   * frame per slot behind whatever is waiting.
   */
  queue(frames: readonly Int16Array[], now: number): void {
    if (frames.length === 0) return;
    this.frameSamples = frames[0]!.length;
    this.startIfPaused(now);
    this.lastArrivalAt = now;
    for (const pcm of frames) this.enqueue(pcm);
    this.tick(now, false);
  }

  /**
   * The clock's beat. Sends waiting frames whose slot has come, then silence for slots overdue by
   * the grace, unless `late` (the process itself was stalled: the line's frames are probably
   * waiting in the socket, and they fill those slots when read).
   */
  tick(now: number, late: boolean): void {
    if (this.slotAt === undefined) return;
    while (this.waiting.length > 0 && now >= this.slotAt - this.opts.earlyMs) {
      const next = this.waiting.shift()!;
      this.waitingSamples -= next.length;
      this.sendNext(next);
    }
    if (late) return;
    while (
      this.waiting.length === 0 &&
      now >= this.slotAt + this.opts.graceMs &&
      now - this.lastArrivalAt <= this.opts.maxFillMs
    ) {
      this.filledSilence++;
      this.sendNext(new Int16Array(this.frameSamples));
    }
  }

  /** Drops whatever waits. */
  clear(): void {
    this.waiting.length = 0;
    this.waitingSamples = 0;
  }

  /** Before the first frame, or after a pause longer than the fill, the clock starts from `now`. */
  private startIfPaused(now: number): number {
    if (this.slotAt === undefined || now - this.lastArrivalAt > this.opts.maxFillMs) this.slotAt = now;
    return this.slotAt;
  }

  private enqueue(pcm: Int16Array): void {
    this.waiting.push(pcm);
    this.waitingSamples += pcm.length;
  }

  private sendNext(pcm: Int16Array): void {
    this.slotAt! += (pcm.length / this.sampleRate) * 1000;
    this.opts.send(pcm);
  }
}

/** Below about -50 dBFS: background, not speech. */
export function isSilent(pcm: Int16Array): boolean {
  return !reachesDbfs(pcm, -50);
}
