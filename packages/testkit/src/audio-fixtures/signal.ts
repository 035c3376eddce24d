/** Signal helpers for content checks: tones, levels and cross-correlation. */

export function tone(opts: {
  frequency: number;
  sampleRate: number;
  durationMs: number;
  dbfs?: number;
}): Int16Array {
  const n = Math.round((opts.sampleRate * opts.durationMs) / 1000);
  const amp = 32767 * 10 ** ((opts.dbfs ?? -12) / 20);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Math.round(amp * Math.sin((2 * Math.PI * opts.frequency * i) / opts.sampleRate));
  return out;
}

export function rmsDbfs(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const v = (samples[i] ?? 0) / 32768;
    sum += v * v;
  }
  const n = Math.max(1, end - start);
  return 10 * Math.log10(sum / n + 1e-20);
}

export interface CorrelationResult {
  /** Normalised cross-correlation at the best lag, in [-1, 1]. */
  peak: number;
  /** Samples by which `received` lags `reference`. */
  lag: number;
}

/**
 * Finds where `reference` sits inside `received` (lag 0..maxLag) and how well it matches there.
 * Normalised per window, so a level change does not lower the score but a different signal does.
 */
export function bestCorrelation(
  reference: Int16Array,
  received: Int16Array,
  maxLag: number,
): CorrelationResult {
  const n = reference.length;
  let refEnergy = 0;
  for (let i = 0; i < n; i++) refEnergy += (reference[i] ?? 0) ** 2;
  let best: CorrelationResult = { peak: 0, lag: 0 };
  const lastLag = Math.min(maxLag, received.length - 1);
  for (let lag = 0; lag <= lastLag; lag++) {
    let dot = 0;
    let recEnergy = 0;
    const m = Math.min(n, received.length - lag);
    for (let i = 0; i < m; i++) {
      const r = received[i + lag] ?? 0;
      dot += (reference[i] ?? 0) * r;
      recEnergy += r * r;
    }
    const denom = Math.sqrt(refEnergy * recEnergy);
    const score = denom > 0 ? dot / denom : 0;
    if (score > best.peak) best = { peak: score, lag };
  }
  return best;
}

/** Integer-factor decimation by averaging, for cheap correlation of signals at different rates. */
export function decimate(samples: Int16Array, factor: number): Int16Array {
  const out = new Int16Array(Math.floor(samples.length / factor));
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < factor; k++) s += samples[i * factor + k] ?? 0;
    out[i] = Math.round(s / factor);
  }
  return out;
}

export interface SegmentedMatch {
  /** Best correlation of each reference segment somewhere in the received signal. */
  peaks: number[];
  /** Where each segment was found (samples into `received`). */
  lags: number[];
  median: number;
  /** True when every confidently found segment (peak ≥ 0.8) lies after the one before it. */
  inOrder: boolean;
}

/**
 * Correlates a reference segment by segment. Real-time paths (jitter buffers, time-stretching,
 * an underrun) shift the timing by a few ms here and there, which ruins one whole-signal
 * correlation although every word arrived intact; per-segment matching checks the content while
 * tolerating that.
 */
export function segmentedCorrelation(
  reference: Int16Array,
  received: Int16Array,
  segmentSamples: number,
  minSegmentDbfs = -45,
): SegmentedMatch {
  const peaks: number[] = [];
  const lags: number[] = [];
  const positions: number[] = [];
  for (let s = 0; s + segmentSamples <= reference.length; s += segmentSamples) {
    const seg = reference.subarray(s, s + segmentSamples);
    if (rmsDbfs(seg) < minSegmentDbfs) continue; // silence matches anything
    const m = bestCorrelation(seg, received, received.length - 1);
    peaks.push(m.peak);
    lags.push(m.lag - s);
    positions.push(m.lag);
  }
  const sorted = [...peaks].sort((a, b) => a - b);
  const median = sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
  // Order is judged on the segments that were found with confidence: a short, weak segment (a
  // consonant, a breath) can correlate best somewhere else without the content being out of order.
  const confident = positions.filter((_, i) => peaks[i]! >= 0.8);
  const inOrder = confident.every((p, i) => i === 0 || p > confident[i - 1]!);
  return { peaks, lags, median, inOrder };
}
