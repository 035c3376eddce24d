// bench:calls: when this process's own event loop stalled. The simulated phones live here, so a
// media message the bridge sent on time but this loop read late looks, at the phone, like a gap
// the bridge made; a gap our own stalls cover is the load generator's, not the bridge's.

/** How often the loop is asked to run; a turn later than this by more than the slack is a stall. */
const PROBE_MS = 5;
const SLACK_MS = 10;
/** One Twilio frame: the spacing of media messages when nothing is late. */
const FRAME_MS = 20;

export class LoopStalls {
  /** [start, end] (performance.now()) of each stall. */
  private readonly stalls: Array<[number, number]> = [];
  private last = performance.now();
  private readonly timer = setInterval(() => {
    const now = performance.now();
    if (now - this.last > PROBE_MS + SLACK_MS) this.stalls.push([this.last, now]);
    this.last = now;
  }, PROBE_MS);

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Whether a gap of `gapMs` between two messages, the later one read at `endMs`, is covered by
   * stalls of this loop: they took all of the gap but one frame and the probe's period, so the
   * message could have come on time and been read late.
   */
  explains(gapMs: number, endMs: number): boolean {
    const from = endMs - gapMs;
    let covered = 0;
    for (const [a, b] of this.stalls) covered += Math.max(0, Math.min(b, endMs) - Math.max(a, from));
    return covered >= gapMs - FRAME_MS - PROBE_MS;
  }
}
