/**
 * Calls per worker. LiveKit asks for load every 2.5 s, so between reports a worker could be
 * offered more calls than it should take: jobs accepted but not yet running count too, and a
 * request beyond the limit is refused, which makes LiveKit offer the call to another worker.
 */

/** An accepted job that has not shown up as running after this long is assumed to have failed. */
const PENDING_TTL_MS = 15_000;

export class CallCapacity {
  readonly #max: number;
  readonly #runningJobIds: () => string[];
  readonly #now: () => number;
  readonly #pending = new Map<string, number>();

  constructor(max: number, runningJobIds: () => string[], now: () => number = Date.now) {
    this.#max = max;
    this.#runningJobIds = runningJobIds;
    this.#now = now;
  }

  get max(): number {
    return this.#max;
  }

  /** Running plus accepted-but-starting calls. */
  get inUse(): number {
    const running = new Set(this.#runningJobIds());
    const now = this.#now();
    for (const [id, at] of this.#pending) {
      if (running.has(id) || now - at > PENDING_TTL_MS) this.#pending.delete(id);
    }
    return running.size + this.#pending.size;
  }

  /** 0..1 for LiveKit's load balancing; 1 means full (the worker reports loadThreshold 1). */
  load(): number {
    return Math.min(1, this.inUse / this.#max);
  }

  /** Claims a slot for a job about to be accepted; false when the worker is full. */
  tryReserve(jobId: string): boolean {
    if (this.inUse >= this.#max) return false;
    this.#pending.set(jobId, this.#now());
    return true;
  }
}
