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
