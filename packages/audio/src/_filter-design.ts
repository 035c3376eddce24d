/**
 * Linear-phase low-pass design for the polyphase resampler: a windowed sinc with a Kaiser
 * window, because Kaiser's one parameter trades stopband depth against length predictably.
 */

export interface LowPassSpec {
  /** Sample rate the filter runs at, in Hz. */
  sampleRate: number;
  /** Last frequency that must pass (nearly) untouched, in Hz. */
  passbandHz: number;
  /** First frequency that must be attenuated by `stopbandDb`, in Hz. */
  stopbandHz: number;
  /** Minimum stopband attenuation, in dB (positive). */
  stopbandDb: number;
  /** DC gain; an upsampler by L needs L to make up for the zeros it stuffs. */
  gain: number;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  const halfX = x / 2;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 64; k++) {
    term *= (halfX / k) * (halfX / k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's empirical formula for the window shape that reaches a given stopband depth. */
export function kaiserBeta(stopbandDb: number): number {
  if (stopbandDb > 50) return 0.1102 * (stopbandDb - 8.7);
  if (stopbandDb >= 21) return 0.5842 * (stopbandDb - 21) ** 0.4 + 0.07886 * (stopbandDb - 21);
  return 0;
}

/**
 * Odd tap count (so the delay is a whole number of samples) from Kaiser's length estimate.
 */
export function kaiserTapCount(spec: LowPassSpec): number {
  const transition = (spec.stopbandHz - spec.passbandHz) / spec.sampleRate;
  if (!(transition > 0)) {
    throw new Error(`low-pass stopband ${spec.stopbandHz} Hz must lie above passband ${spec.passbandHz} Hz`);
  }
  const estimate = Math.ceil((spec.stopbandDb - 7.95) / (2.285 * 2 * Math.PI * transition)) + 1;
  return estimate % 2 === 1 ? estimate : estimate + 1;
}

/** Taps of a Kaiser-windowed sinc low-pass with its cutoff midway through the transition band. */
export function designLowPass(spec: LowPassSpec, tapCount = kaiserTapCount(spec)): Float64Array {
  const cutoff = (spec.passbandHz + spec.stopbandHz) / 2 / spec.sampleRate; // cycles per sample
  const beta = kaiserBeta(spec.stopbandDb);
  const centre = (tapCount - 1) / 2;
  const windowNorm = besselI0(beta);
  const taps = new Float64Array(tapCount);
  let sum = 0;
  for (let n = 0; n < tapCount; n++) {
    const offset = n - centre;
    const sinc = offset === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * offset) / (Math.PI * offset);
    const ratio = offset / centre;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - ratio * ratio))) / windowNorm;
    taps[n] = sinc * window;
    sum += taps[n] ?? 0;
  }
  // Normalise so DC passes at exactly `gain`: truncation leaves the raw sum slightly off.
  for (let n = 0; n < tapCount; n++) taps[n] = ((taps[n] ?? 0) * spec.gain) / sum;
  return taps;
}
