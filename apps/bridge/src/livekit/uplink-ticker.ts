/**
 * One clock for every call's uplink in the process (see {@link UplinkPacer}): a single timer beats
 * every few ms while any call needs it, instead of a timer per call, and stops when none does.
 */

/** A beat at `now` (monotonic ms); `late` when the beat before it was long ago (the process stalled). */
export type UplinkTick = (now: number, late: boolean) => void;

export interface UplinkTicker {
  /** Beats `tick` until the returned function is called. */
  add(tick: UplinkTick): () => void;
}

/** How often the shared clock beats, ms: a quarter of a Twilio frame. */
export const UPLINK_TICK_MS = 5;
/** A beat this much later than the one before means the process itself was stalled. */
const LATE_AFTER_MS = 3 * UPLINK_TICK_MS;

export function intervalTicker(everyMs = UPLINK_TICK_MS, now = () => performance.now()): UplinkTicker {
  const ticks = new Set<UplinkTick>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = 0;
  const beat = (): void => {
    const at = now();
    const late = at - last > Math.max(LATE_AFTER_MS, 3 * everyMs);
    last = at;
    for (const tick of ticks) {
      try {
        tick(at, late);
      } catch {
        // One call's clock failing must not stop the others'; its owner logs its own errors.
        ticks.delete(tick);
      }
    }
  };
  return {
    add(tick) {
      ticks.add(tick);
      if (!timer) {
        last = now();
        timer = setInterval(beat, everyMs);
        // The calls keep the process alive, not their clock.
        timer.unref();
      }
      return () => {
        ticks.delete(tick);
        if (ticks.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}

/** The bridge's one uplink clock. */
export const sharedUplinkTicker: UplinkTicker = intervalTicker();
