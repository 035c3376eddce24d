/**
 * When this process's own event loop stalled. A load generator that times what it reads (the
 * simulated phones time each media message) sees a message read late as a message sent late; a
 * gap its own stalls could explain may be the generator's, not the system's under test.
 */

/** How often the loop is asked to run; a turn later than this by more than the slack is a stall. */
export const STALL_PROBE_MS = 5;
const SLACK_MS = 10;

/** [start, end] of a stall, on the clock the gaps are measured on (performance.now()). */
export type Stall = readonly [start: number, end: number];

/**
 * Whether stalls could explain a gap between two messages, the later one read at `endMs`: from when
 * it was due (one `periodMs` after the earlier one) until it was read, the loop was stalled all but
 * one probe period, up to the read. A loop that was free while the message was due and still not
 * there means it came late.
 */
export function stallsExplainGap(
  stalls: readonly Stall[],
  gapMs: number,
  endMs: number,
  periodMs: number,
): boolean {
  const dueMs = endMs - gapMs + periodMs;
  if (dueMs >= endMs) return false; // not late at all
  let covered = 0;
  let reachesRead = false;
  for (const [a, b] of stalls) {
    covered += Math.max(0, Math.min(b, endMs) - Math.max(a, dueMs));
    if (a < endMs && b >= endMs - STALL_PROBE_MS) reachesRead = true;
  }
  return reachesRead && covered >= endMs - dueMs - STALL_PROBE_MS;
}

/** Records this process's event-loop stalls from start() to stop(). */
export class LoopStalls {
  private readonly stalls: Stall[] = [];
  private timer: NodeJS.Timeout | undefined;

  start(): this {
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      if (now - last > STALL_PROBE_MS + SLACK_MS) this.stalls.push([last, now]);
      last = now;
    }, STALL_PROBE_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** See {@link stallsExplainGap}. */
  explain(gapMs: number, endMs: number, periodMs: number): boolean {
    return stallsExplainGap(this.stalls, gapMs, endMs, periodMs);
  }
}
