/**
 * What one more call costs the bridge's CPU, learned from the admission's own samples while calls
 * come and go, so the admission can tell how many more calls fit.
 *
 * Each sample's CPU reading (per cent of the allowance, over the last sampling interval) is fitted as
 * `base + media × settled + setUp × settling` by least squares that forget over about half a
 * minute: `settled` calls carry media and nothing else; `settling` calls were answered moments ago
 * and the reading holds their set-up (joining the room, publishing, the first frames) and part of
 * their media; `base` is what the process burns once it carries any call at all (LiveKit's media
 * threads tick whether one room is open or twenty), above its idle. The plain average (the reading
 * over the settled calls) charges each settled call with that base and with the set-up of the
 * calls still arriving: on a fast ramp to a half-core bridge's knee it said 12 points a call where
 * one more call cost 6, and the bridge stopped taking calls at half of what it carries.
 *
 * Pure: the caller samples and counts.
 */

/** Weight left to a sample after each newer one (≈ 17 s half-life at 250 ms samples). */
const FORGET = 0.99;
/** Summed weight of samples with calls before a fit is trusted (≈ 1 s of samples). */
const MIN_WEIGHT = 4;
/** The settled calls must have varied this much (variance, calls²) for their cost to show. */
const MIN_VARIANCE = 0.25;
/** The two counts must not move together more than this (squared correlation) to be told apart. */
const MAX_COLLINEARITY = 0.9;

/** A line through the samples: the CPU with `calls` calls settled here. */
export interface CallCpuFit {
  /** The reading's part that does not grow with the calls (per cent of the allowance). */
  base: number;
  /** What one more settled call adds (per cent of the allowance). */
  perCall: number;
}

export class CallCpuModel {
  // Forgetting weighted sums over the samples with calls: y = reading, x1 = settled, x2 = settling.
  private w = 0;
  private x1 = 0;
  private x2 = 0;
  private y = 0;
  private x11 = 0;
  private x12 = 0;
  private x22 = 0;
  private x1y = 0;
  private x2y = 0;

  /** One sample: the CPU reading over the interval, and the calls settled and settling at its end. */
  observe(cpu: number, settled: number, settling: number): void {
    if (!Number.isFinite(cpu) || settled + settling === 0) return;
    this.w = FORGET * this.w + 1;
    this.x1 = FORGET * this.x1 + settled;
    this.x2 = FORGET * this.x2 + settling;
    this.y = FORGET * this.y + cpu;
    this.x11 = FORGET * this.x11 + settled * settled;
    this.x12 = FORGET * this.x12 + settled * settling;
    this.x22 = FORGET * this.x22 + settling * settling;
    this.x1y = FORGET * this.x1y + settled * cpu;
    this.x2y = FORGET * this.x2y + settling * cpu;
  }

  /**
   * What the CPU does with the settled calls, or undefined while the samples cannot tell: too few,
   * the settled calls never varied, or the two counts moved together.
   */
  get fit(): CallCpuFit | undefined {
    const w = this.w;
    if (w < MIN_WEIGHT) return undefined;
    const [m1, m2, my] = [this.x1 / w, this.x2 / w, this.y / w];
    const c11 = this.x11 / w - m1 * m1;
    const c12 = this.x12 / w - m1 * m2;
    const c22 = this.x22 / w - m2 * m2;
    const c1y = this.x1y / w - m1 * my;
    const c2y = this.x2y / w - m2 * my;
    if (c11 < MIN_VARIANCE) return undefined;
    let perCall: number;
    let setUp = 0;
    if (c22 < MIN_VARIANCE / 10) {
      // As many calls settling throughout (none, or a steady ramp): the intercept takes them.
      perCall = c1y / c11;
    } else {
      const det = c11 * c22 - c12 * c12;
      if (det <= (1 - MAX_COLLINEARITY) * c11 * c22) return undefined;
      perCall = (c1y * c22 - c2y * c12) / det;
      setUp = (c2y * c11 - c1y * c12) / det;
    }
    if (!(perCall > 0)) return undefined;
    return { base: my - perCall * m1 - setUp * m2, perCall };
  }
}
