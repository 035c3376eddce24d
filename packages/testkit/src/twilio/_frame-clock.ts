/**
 * One 20 ms clock shared by every simulated call in the process. Deadlines are computed from the
 * clock's origin (origin + n·period), never by adding to the previous firing time, so timer
 * jitter does not accumulate into drift. A late timer fires the missed ticks back to back, as a
 * network would deliver delayed frames in a burst, which keeps every call's timeline aligned with
 * wall-clock time. One timer for all calls keeps per-call CPU to the work of the frame itself.
 */

export type TickHandler = (dueMs: number) => void;

export interface FrameClockStats {
  ticks: number;
  /** Worst lateness of a tick relative to its deadline, in ms (event-loop stalls show up here). */
  maxLatenessMs: number;
}

export class FrameClock {
  readonly periodMs: number;
  private readonly handlers = new Set<TickHandler>();
  private originMs = 0;
  private ticks = 0;
  private maxLatenessMs = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Bumped on every (re)start so a timer from an earlier run can tell it is stale. */
  private epoch = 0;

  constructor(periodMs = 20) {
    this.periodMs = periodMs;
  }

  /** Calls `handler(dueMs)` on every tick from the next one on; returns the unsubscribe. */
  subscribe(handler: TickHandler): () => void {
    this.handlers.add(handler);
    if (this.timer === null) this.start();
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size === 0) this.stop();
    };
  }

  get stats(): FrameClockStats {
    return { ticks: this.ticks, maxLatenessMs: this.maxLatenessMs };
  }

  private start(): void {
    this.epoch++;
    this.originMs = performance.now();
    this.ticks = 0;
    this.schedule();
  }

  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const next = this.originMs + (this.ticks + 1) * this.periodMs;
    const epoch = this.epoch;
    this.timer = setTimeout(() => this.run(epoch), Math.max(0, next - performance.now()));
    // A forgotten call must not keep a CLI alive; open sockets keep the loop running anyway.
    this.timer.unref();
  }

  private run(epoch: number): void {
    const now = performance.now();
    while (
      epoch === this.epoch &&
      this.handlers.size > 0 &&
      this.originMs + (this.ticks + 1) * this.periodMs <= now
    ) {
      this.ticks++;
      const due = this.originMs + this.ticks * this.periodMs;
      this.maxLatenessMs = Math.max(this.maxLatenessMs, now - due);
      // Copy: a handler may unsubscribe (call ended) while we iterate.
      for (const handler of [...this.handlers]) {
        try {
          handler(due);
        } catch (err) {
          // One broken call must not stop the clock for every other call.
          process.emitWarning(`FrameClock handler threw: ${(err as Error).stack ?? String(err)}`);
        }
      }
    }
    // If the last call left and a new one arrived during this run, start() already rescheduled.
    if (epoch === this.epoch && this.handlers.size > 0) this.schedule();
  }
}

/** The process-wide clock simulated calls use unless given their own. */
export const sharedFrameClock = new FrameClock(20);
