/**
 * What every streaming resampler must do, as vitest suites: the product's engine runs them in
 * packages/audio/test, the benchmark's comparison engines in packages/audio/bench.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDownlink,
  createUplink,
  muLawDecode,
  muLawEncode,
  type ResamplerFactory,
  type StreamingResampler,
} from '../../src/index.js';
import {
  alignedSnrDb,
  chunks,
  concat,
  largestStep,
  roundTripSnrDb,
  sine,
  toInt16,
} from './signal-quality.js';

/** Exact sizes, flush, reset and input checks (engines that return output on every call). */
export function describeResamplerLifecycle(name: string, factory: ResamplerFactory): void {
  const open = (inputRate: number, outputRate: number) => factory({ inputRate, outputRate });

  describe(`${name} resampler lifecycle`, () => {
    const signal = toInt16(sine(700, 8000, 1600)).map((v, i) => v + ((i * 31) % 97));

    it('refuses input that is not PCM16, naming its type', () => {
      const r = open(8000, 48000);
      expect(() => r.process(new Float32Array(160) as unknown as Int16Array)).toThrow(
        /resampler input must be an Int16Array.*got Float32Array\(length 160\)/,
      );
    });

    it('produces exactly 6 samples per input sample at 8k -> 48k once its pipeline is full', () => {
      const r = open(8000, 48000);
      const sizes = chunks(signal, 160).map((c) => r.process(c).length);
      expect(sizes.slice(2)).toEqual(sizes.slice(2).map(() => 960));
    });

    it('returns nothing for an empty chunk and keeps going', () => {
      const fresh = open(8000, 48000);
      const withEmpty = open(8000, 48000);
      expect(withEmpty.process(new Int16Array(0)).length).toBe(0);
      expect(Array.from(withEmpty.process(signal))).toEqual(Array.from(fresh.process(signal)));
    });

    it('flush drains the tail the filter still holds: the last input sample reaches the output', () => {
      const impulseAtEnd = new Int16Array(800);
      impulseAtEnd[799] = 16000;
      const r = open(8000, 48000);
      const body = r.process(impulseAtEnd).slice();
      const tail = r.flush().slice();
      const all = concat([body, tail]);
      expect(all.length).toBeGreaterThanOrEqual(800 * 6);
      const peak = all.reduce((best, v, i) => (v > all[best]! ? i : best), 0);
      expect(all[peak]).toBeGreaterThan(8000);
      expect(peak).toBeGreaterThanOrEqual(body.length - 600);
    });

    it('flushes nothing when it was given nothing', () => {
      const r = open(8000, 48000);
      expect(r.flush().length).toBe(0);
      r.process(signal);
      r.reset();
      expect(r.flush().length).toBe(0);
    });

    it('after flush or reset, starts over exactly like a new instance', () => {
      const fresh = open(8000, 48000).process(signal).slice();
      const flushed = open(8000, 48000);
      flushed.process(signal.map((v) => -v));
      flushed.flush();
      expect(Array.from(flushed.process(signal))).toEqual(Array.from(fresh));
      const reset = open(8000, 48000);
      reset.process(signal.map((v) => -v));
      reset.reset();
      expect(Array.from(reset.process(signal))).toEqual(Array.from(fresh));
    });

    it('downsamples 48k -> 8k to one sample per six, whatever the chunk size', () => {
      const r = open(48000, 8000);
      const input = toInt16(sine(500, 48000, 48000 * 0.3));
      const total = chunks(input, 7).reduce((n, c) => n + r.process(c).length, 0) + r.flush().length;
      expect(total).toBeGreaterThanOrEqual(input.length / 6);
      expect(total).toBeLessThanOrEqual(input.length / 6 + 60);
    });
  });
}

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

/**
 * Streaming quality through the uplink and downlink chains: framing changes nothing (beyond
 * `chunkingToleranceLsb`), the round trip is as good as G.711 alone, and frames leave no seams.
 */
export function describeStreamingQuality(
  name: string,
  factory: ResamplerFactory,
  opts: { chunkingToleranceLsb?: number } = {},
): void {
  describe(`${name} engine`, () => {
    const opened: StreamingResampler[] = [];
    const open = (inputRate: number, outputRate: number) => {
      const r = factory({ inputRate, outputRate });
      opened.push(r);
      return r;
    };
    afterEach(() => {
      for (const r of opened.splice(0)) r.close();
    });

    it('gives the same samples whether the signal comes whole or in 20 ms frames (state carries over)', () => {
      const speechLike = toInt16(sine(440, 8000, 4000)).map((v, i) => v + ((i * 7919) % 2001) - 1000);
      const whole = streamed(open(8000, 48000), speechLike, speechLike.length);
      const framed = streamed(open(8000, 48000), speechLike, 160);
      const ragged = streamed(open(8000, 48000), speechLike, 37);
      expect(framed.length).toBe(whole.length);
      expect(ragged.length).toBe(whole.length);
      const tolerance = opts.chunkingToleranceLsb ?? 0;
      expect(largestDifference(framed, whole)).toBeLessThanOrEqual(tolerance);
      expect(largestDifference(ragged, whole)).toBeLessThanOrEqual(tolerance);
    });

    it.each([440, 1000])(
      'round trip μ-law 8k -> 48k -> 8k -> μ-law in 20 ms frames keeps a -12 dBFS %d Hz tone at ≥ 37 dB SNR',
      (frequency) => {
        const { snrDb } = roundTripSnrDb({ resampler: factory, frequency });
        expect(snrDb).toBeGreaterThanOrEqual(37);
        // The resampling adds nothing measurable to what μ-law itself costs.
        expect(snrDb).toBeGreaterThan(g711OnlySnrDb(frequency) - 0.5);
      },
    );

    it('leaves no step at frame boundaries: a framed round trip is as smooth as an unframed one', () => {
      const tone = muLawEncode(toInt16(sine(1000, 8000, 8000)));
      const run = (frameBytes: number) => {
        const uplink = createUplink({ resampler: factory });
        const downlink = createDownlink({ inputRate: 48000, resampler: factory });
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
}
