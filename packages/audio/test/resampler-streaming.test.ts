import { afterEach, describe, expect, it } from 'vitest';
import {
  createDownlink,
  createResampler,
  createUplink,
  muLawDecode,
  muLawEncode,
  RESAMPLER_ENGINES,
  type StreamingResampler,
} from '../src/index.js';
import {
  alignedSnrDb,
  chunks,
  concat,
  largestStep,
  roundTripSnrDb,
  sine,
  toInt16,
} from './support/signal-quality.js';

const opened: StreamingResampler[] = [];
function resampler(inputRate: number, outputRate: number, engine: (typeof RESAMPLER_ENGINES)[number]) {
  const r = createResampler({ inputRate, outputRate, engine });
  opened.push(r);
  return r;
}
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
});

/** Everything a resampler produces for `input` fed in chunks of `chunk` samples, then flushed. */
function streamed(r: StreamingResampler, input: Int16Array, chunk: number): Int16Array {
  const parts = chunks(input, chunk).map((c) => r.process(c).slice());
  parts.push(r.flush().slice());
  return concat(parts);
}

function largestDifference(a: Int16Array, b: Int16Array): number {
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]! - b[i]!));
  return largest;
}

/** G.711 alone on the same tone: the best any round trip through μ-law can do. */
function g711OnlySnrDb(frequency: number): number {
  const reference = sine(frequency, 8000, 8000);
  return alignedSnrDb(reference, muLawDecode(muLawEncode(toInt16(reference))), 0, 400).snrDb;
}

describe.each(RESAMPLER_ENGINES)('%s engine', (engine) => {
  it('gives the same samples whether the signal comes whole or in 20 ms frames (state carries over)', () => {
    const speechLike = toInt16(sine(440, 8000, 4000)).map((v, i) => v + ((i * 7919) % 2001) - 1000);
    const whole = streamed(resampler(8000, 48000, engine), speechLike, speechLike.length);
    const framed = streamed(resampler(8000, 48000, engine), speechLike, 160);
    const ragged = streamed(resampler(8000, 48000, engine), speechLike, 37);
    expect(framed.length).toBe(whole.length);
    expect(ragged.length).toBe(whole.length);
    // soxr works in its own internal blocks, so chunking moves its float rounding by a few LSB
    // (-78 dBFS): far below one μ-law step, but not bit-exact as the pure-JS engines are.
    const tolerance = engine === 'livekit-soxr' ? 4 : 0;
    expect(largestDifference(framed, whole)).toBeLessThanOrEqual(tolerance);
    expect(largestDifference(ragged, whole)).toBeLessThanOrEqual(tolerance);
  });

  it.each([440, 1000])(
    'round trip μ-law 8k -> 48k -> 8k -> μ-law in 20 ms frames keeps a -12 dBFS %d Hz tone at ≥ 37 dB SNR',
    (frequency) => {
      const { snrDb } = roundTripSnrDb({ engine, frequency });
      expect(snrDb).toBeGreaterThanOrEqual(37);
      // The resampling adds nothing measurable to what μ-law itself costs.
      expect(snrDb).toBeGreaterThan(g711OnlySnrDb(frequency) - 0.5);
    },
  );

  it('leaves no step at frame boundaries: a framed round trip is as smooth as an unframed one', () => {
    const tone = muLawEncode(toInt16(sine(1000, 8000, 8000)));
    const run = (frameBytes: number) => {
      const uplink = createUplink({ engine });
      const downlink = createDownlink({ inputRate: 48000, engine });
      const out: Uint8Array[] = [];
      for (const frame of chunks(tone, frameBytes)) {
        const pcm = uplink.processMuLaw(frame);
        if (pcm.length > 0) out.push(...downlink.push(pcm));
      }
      const tail = uplink.flush();
      if (tail.length > 0) out.push(...downlink.push(tail));
      out.push(...downlink.flush());
      uplink.close();
      downlink.close();
      return muLawDecode(concat(out));
    };
    const framed = run(160);
    const unframed = run(tone.length);
    // Steady state only: start-up and the flushed tail ramp by design.
    const from = 800;
    const to = 7000;
    // One μ-law step at this level is 256; a seam would add far more than that.
    expect(largestStep(framed, from, to)).toBeLessThanOrEqual(largestStep(unframed, from, to) + 256);
  });
});

describe('the seam check', () => {
  it('notices a seam: a stream that loses one sample per 20 ms frame fails it', () => {
    const smooth = toInt16(sine(1000, 8000, 8000));
    const seamed = smooth.filter((_, i) => i % 160 !== 159);
    expect(largestStep(seamed, 800, 7000)).toBeGreaterThan(largestStep(smooth, 800, 7000) + 256);
  });
});
