/**
 * Measurements shared by the quality tests and the benchmark: how closely audio survives the
 * caller -> room -> caller path, and how much of a given frequency a signal holds.
 */
import {
  createDownlink,
  createUplink,
  muLawDecode,
  muLawEncode,
  type ResamplerFactory,
} from '../../src/index.js';
import { MULAW_FRAME_BYTES } from '../../src/constants.js';
import { designLowPass } from '../../src/_filter-design.js';

/** A sine at `dbfs` (peak), unrounded, for use as an exact reference. */
export function sine(frequency: number, sampleRate: number, samples: number, dbfs = -12): Float64Array {
  const amplitude = 32767 * 10 ** (dbfs / 20);
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return out;
}

export function toInt16(samples: Float64Array): Int16Array {
  return Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
}

/**
 * SNR of `received` against `reference` in dB, at the whole-sample lag (0..maxLag) that fits
 * best, over the reference's middle (edges skipped by `guard` samples so start-up and drain
 * transients are not counted).
 */
export function alignedSnrDb(
  reference: ArrayLike<number>,
  received: ArrayLike<number>,
  maxLag: number,
  guard: number,
): { snrDb: number; lag: number } {
  let best = { snrDb: -Infinity, lag: 0 };
  for (let lag = 0; lag <= maxLag; lag++) {
    let signal = 0;
    let noise = 0;
    const end = Math.min(reference.length - guard, received.length - lag);
    if (end - guard < reference.length / 4) break;
    for (let i = guard; i < end; i++) {
      const ref = reference[i]!;
      const err = received[i + lag]! - ref;
      signal += ref * ref;
      noise += err * err;
    }
    const snrDb = 10 * Math.log10(signal / Math.max(noise, 1e-9));
    if (snrDb > best.snrDb) best = { snrDb, lag };
  }
  return best;
}

/** Splits `whole` into consecutive chunks of `size` (the last may be shorter). */
export function chunks<T extends Int16Array | Uint8Array>(whole: T, size: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < whole.length; i += size) out.push(whole.subarray(i, i + size) as T);
  return out;
}

export function concat(parts: readonly Int16Array[]): Int16Array;
export function concat(parts: readonly Uint8Array[]): Uint8Array;
export function concat(parts: readonly (Int16Array | Uint8Array)[]): Int16Array | Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = parts[0] instanceof Uint8Array ? new Uint8Array(total) : new Int16Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The round trip: μ-law 8 kHz -> uplink (PCM, 8k -> `rate`) -> downlink (`rate` -> 8k
 * -> μ-law), all in 20 ms frames, compared with the clean tone the μ-law was made from.
 */
export function roundTripSnrDb(opts: {
  /** The chains' resampler; the product's (polyphase) unless set. */
  resampler?: ResamplerFactory;
  frequency: number;
  dbfs?: number;
  rate?: number;
  durationMs?: number;
}): { snrDb: number; lag: number } {
  const rate = opts.rate ?? 48000;
  const reference = sine(opts.frequency, 8000, ((opts.durationMs ?? 1000) * 8000) / 1000, opts.dbfs);
  const muLaw = muLawEncode(toInt16(reference));
  const uplink = createUplink({ outputRate: rate, resampler: opts.resampler });
  const downlink = createDownlink({ inputRate: rate, resampler: opts.resampler });
  const frames: Uint8Array[] = [];
  try {
    for (const frame of chunks(muLaw, MULAW_FRAME_BYTES)) {
      const pcm = uplink.processMuLaw(frame);
      if (pcm.length > 0) frames.push(...downlink.push(pcm, rate));
    }
    const tail = uplink.flush();
    if (tail.length > 0) frames.push(...downlink.push(tail, rate));
    frames.push(...downlink.flush());
  } finally {
    uplink.close();
    downlink.close();
  }
  const received = muLawDecode(concat(frames));
  return alignedSnrDb(reference, received, 400, 400);
}

/**
 * Amplitude of `frequency` in `signal` (same units as the samples), by projecting the middle of
 * the signal onto a sine and cosine over a whole number of periods.
 */
export function toneAmplitude(signal: ArrayLike<number>, frequency: number, sampleRate: number): number {
  const periodSamples = sampleRate / frequency;
  const skip = Math.floor(signal.length / 4);
  const periods = Math.floor((signal.length - 2 * skip) / periodSamples);
  const n = Math.round(periods * periodSamples);
  let re = 0;
  let im = 0;
  for (let i = 0; i < n; i++) {
    const phase = (2 * Math.PI * frequency * i) / sampleRate;
    const v = signal[skip + i]!;
    re += v * Math.cos(phase);
    im += v * Math.sin(phase);
  }
  return (2 * Math.hypot(re, im)) / n;
}

/** Largest sample-to-sample step within [from, to). */
export function largestStep(signal: ArrayLike<number>, from = 1, to = signal.length): number {
  let largest = 0;
  for (let i = Math.max(1, from); i < to; i++)
    largest = Math.max(largest, Math.abs(signal[i]! - signal[i - 1]!));
  return largest;
}

export function dB(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/**
 * `signal` through a long linear-phase low-pass (delay compensated), for comparing two
 * resamplers only where both promise to be exact: inside the telephone band.
 */
export function bandLimited(signal: Int16Array, sampleRate: number, cutoffHz: number): Float64Array {
  const taps = designLowPass({
    sampleRate,
    passbandHz: cutoffHz,
    stopbandHz: cutoffHz + 500,
    stopbandDb: 70,
    gain: 1,
  });
  const delay = (taps.length - 1) / 2;
  const out = new Float64Array(signal.length);
  for (let n = 0; n < signal.length; n++) {
    let sum = 0;
    const first = Math.max(0, n + delay - signal.length + 1);
    const last = Math.min(taps.length - 1, n + delay);
    for (let k = first; k <= last; k++) sum += taps[k]! * signal[n + delay - k]!;
    out[n] = sum;
  }
  return out;
}
