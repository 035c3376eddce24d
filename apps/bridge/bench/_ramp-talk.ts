// bench:calls --overload: the admitted calls talk while the rest of the step arrives, as callers and
// agents do (admission learns what a call costs from calls that talk; silent calls cost less).
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { markerPattern } from './_markers.js';

/** A call younger than this hearing a gap is hearing its own start, not the others arriving. */
const YOUNG_MS = 3000;

export class RampTalk {
  private talking = true;
  private readonly talks: Promise<void>[] = [];
  /** BENCH_DEBUG: the ramp's gaps over 40 ms by the age of the call that heard them. */
  readonly gapsByAge = { first_3s: 0, after_3s: 0 };
  private readonly gapsSeen = new Map<SimulatedCall, number>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly calls: readonly SimulatedCall[],
    debug: boolean,
  ) {
    this.timer = debug ? setInterval(() => this.ageGaps(), 250) : undefined;
  }

  /** The call talks (a marker a second, at its own offset) until {@link stop}. */
  start(call: SimulatedCall, i: number): void {
    this.talks.push(
      (async () => {
        try {
          while (this.talking) await call.sendAudio(markerPattern(1, 100 + ((i * 37) % 800)));
        } catch {
          // the call lost its stream: the step counts it
        }
      })(),
    );
  }

  /** The talk ends within a second (its last marker second plays out); resolves once it has. */
  stop(): Promise<void> {
    this.talking = false;
    if (this.timer) {
      clearInterval(this.timer);
      this.ageGaps();
    }
    return Promise.all(this.talks).then(() => undefined);
  }

  private ageGaps(): void {
    for (const c of this.calls) {
      const over = c.mediaGapsMs.filter((g) => g > 40).length;
      const fresh = over - (this.gapsSeen.get(c) ?? 0);
      this.gapsSeen.set(c, over);
      if (fresh > 0 && c.streamStartedAtMs > 0)
        this.gapsByAge[performance.now() - c.streamStartedAtMs < YOUNG_MS ? 'first_3s' : 'after_3s'] += fresh;
    }
  }
}
