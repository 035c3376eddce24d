/**
 * How late the caller's frames arrive, as a backlog worth keeping: the uplink keeps just enough
 * audio queued at LiveKit's capture source to cover the lateness it has seen, so a quiet network
 * costs the caller ~20 ms of queueing and a jittery one up to the configured ceiling.
 *
 * Twilio sends one 20 ms frame every 20 ms; a frame that comes `late` ms after its cadence would
 * have found the source empty unless that much was queued. The estimate jumps up to the lateness
 * seen at once and falls back slowly (`decayMsPerS`), so a network that stalls every few seconds
 * keeps its cushion between stalls.
 */
export interface ArrivalJitterOptions {
  /** The smallest backlog kept, ms (covers the capture thread's 10 ms tick and timer noise). */
  floorMs: number;
  /** The largest backlog the estimate asks for, ms. */
  ceilingMs: number;
  /** How fast the estimate falls when arrivals are regular, ms per second. Default 10. */
  decayMsPerS?: number;
}

export class ArrivalJitter {
  private lastArrival: number | undefined;
  private peakLateMs = 0;

  constructor(private readonly opts: ArrivalJitterOptions) {}

  /** A frame of `frameMs` arrived at `nowMs` (a monotonic clock). */
  note(nowMs: number, frameMs: number): void {
    const last = this.lastArrival;
    this.lastArrival = nowMs;
    if (last === undefined) return;
    const sinceMs = nowMs - last;
    const decayed = this.peakLateMs - ((this.opts.decayMsPerS ?? 10) * sinceMs) / 1000;
    // A pause far beyond a frame is the stream stopping (hold, reconnect), not lateness.
    const lateMs = sinceMs <= 1000 ? sinceMs - frameMs : 0;
    this.peakLateMs = Math.max(0, decayed, lateMs);
  }

  /** The backlog (ms) worth keeping now. */
  get targetMs(): number {
    return Math.min(this.opts.ceilingMs, Math.max(this.opts.floorMs, Math.ceil(this.peakLateMs)));
  }
}
