/**
 * Two 8 kHz tracks (caller, agent) laid on one wall-clock timeline, as the two parties heard the
 * call. The caller's frames go where their own sequence numbers put them (Twilio sends one every
 * 20 ms; a burst after a network or event-loop stall belongs in the past, not after the last
 * frame). The agent's frames go where the clock says they were sent, or, while the track is still
 * ahead of the clock (a burst), after its last one: Twilio queues what we send and plays it in
 * order. A track that fell silent (no frames) is filled with silence. Finished samples are taken
 * out from the front, interleaved, for the file.
 */

export const RECORDING_RATE = 8000;
export const CALLER_TRACK = 0;
export const AGENT_TRACK = 1;
export type Track = typeof CALLER_TRACK | typeof AGENT_TRACK;

export interface TimelineOptions {
  /** performance.now-like clock, in ms. */
  now: () => number;
  /** Lateness a track may have before a frame is put at the clock instead of after its last (3 frames). */
  toleranceSamples?: number;
  /** A track further ahead of the clock than this drops frames instead of growing the buffer (60 s). */
  maxAheadSamples?: number;
  /** How far behind the clock audio is final (taken for the file): late frames still land before (1 s). */
  settleSamples?: number;
}

export class TwoTrackTimeline {
  private readonly now: () => number;
  private readonly startMs: number;
  private readonly tolerance: number;
  private readonly maxAhead: number;
  private readonly settle: number;
  /** Interleaved (caller, agent) samples from `base` on, not yet taken. */
  private buf = new Int16Array(2 * 2 * RECORDING_RATE);
  private base = 0;
  private readonly cursor = [0, 0];
  /** Samples dropped because a track ran too far ahead. */
  dropped = 0;

  constructor(opts: TimelineOptions) {
    this.now = opts.now;
    this.startMs = opts.now();
    this.tolerance = opts.toleranceSamples ?? 480;
    this.maxAhead = opts.maxAheadSamples ?? 60 * RECORDING_RATE;
    this.settle = Math.max(this.tolerance, opts.settleSamples ?? RECORDING_RATE);
  }

  /** Where the clock is, in samples since the start. */
  clock(): number {
    return Math.floor(((this.now() - this.startMs) * RECORDING_RATE) / 1000);
  }

  /** Samples taken so far (the file's length in sample frames). */
  get taken(): number {
    return this.base;
  }

  /** A frame sent now: at the clock, or after the track's last frame while that is not late. */
  write(track: Track, pcm: Int16Array): void {
    const clock = this.clock();
    const at = this.cursor[track]!;
    this.writeAt(track, at < clock - this.tolerance ? clock : at, pcm);
  }

  /** A frame whose place is known (sample `at` since the start); what falls before the taken part is lost. */
  writeAt(track: Track, at: number, pcm: Int16Array): void {
    if (at < this.base) {
      const late = this.base - at;
      this.dropped += Math.min(late, pcm.length);
      if (late >= pcm.length) return;
      pcm = pcm.subarray(late);
      at = this.base;
    }
    if (at + pcm.length - this.clock() > this.maxAhead) {
      this.dropped += pcm.length;
      return;
    }
    this.ensure(at + pcm.length - this.base);
    let i = (at - this.base) * 2 + track;
    for (let k = 0; k < pcm.length; k++, i += 2) this.buf[i] = pcm[k]!;
    this.cursor[track] = Math.max(this.cursor[track]!, at + pcm.length);
  }

  /** What this track queued ahead of the clock is dropped (Twilio's `clear` discards it unplayed). */
  clearAhead(track: Track): void {
    const from = Math.max(this.clock(), this.base);
    const to = this.cursor[track]!;
    if (to <= from) return;
    for (let i = (from - this.base) * 2 + track; i < (to - this.base) * 2; i += 2) this.buf[i] = 0;
    this.cursor[track] = from;
  }

  /**
   * Takes the interleaved samples that are final: up to the clock less the settle time (late
   * frames land before that), or, with `all` (the call ended), up to the clock or the end of what
   * either track queued, whichever is later. Undefined when none.
   */
  take(all = false): Int16Array | undefined {
    const clock = this.clock();
    const end = all ? Math.max(this.cursor[0]!, this.cursor[1]!, clock) : clock - this.settle;
    const n = end - this.base;
    if (n <= 0) return undefined;
    this.ensure(n);
    const out = this.buf.slice(0, n * 2);
    const used = (Math.max(this.cursor[0]!, this.cursor[1]!, end) - this.base) * 2;
    this.buf.copyWithin(0, n * 2, used);
    this.buf.fill(0, used - n * 2, used);
    this.base = end;
    return out;
  }

  /** Room for `frames` sample frames from `base`. */
  private ensure(frames: number): void {
    if (frames * 2 <= this.buf.length) return;
    let size = this.buf.length;
    while (size < frames * 2) size *= 2;
    const grown = new Int16Array(size);
    grown.set(this.buf);
    this.buf = grown;
  }
}
