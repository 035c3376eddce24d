import { describe, expect, it } from 'vitest';
import { createResampler } from '../src/index.js';
import { chunks, concat, dB, sine, toInt16, toneAmplitude } from './support/signal-quality.js';

/** A second of a tone through the default engine in 20 ms chunks, flushed. */
function throughDefault(frequency: number, inputRate: number, outputRate: number, dbfs: number): Int16Array {
  const r = createResampler({ inputRate, outputRate });
  const input = toInt16(sine(frequency, inputRate, inputRate, dbfs));
  const out = chunks(input, inputRate / 50).map((c) => r.process(c).slice());
  out.push(r.flush().slice());
  return concat(out);
}

/** Where a tone at `frequency` lands after sampling at `rate` (it folds about rate / 2). */
function folded(frequency: number, rate: number): number {
  const f = frequency % rate;
  return f > rate / 2 ? rate - f : f;
}

describe('default engine frequency response', () => {
  describe.each([16000, 24000, 48000])('upsampling 8000 -> %d Hz', (outputRate) => {
    it.each([300, 1000, 2000, 3000, 3400])('passes %d Hz within 1 dB', (frequency) => {
      const input = sine(frequency, 8000, 8000, -6);
      const output = throughDefault(frequency, 8000, outputRate, -6);
      const gainDb = dB(toneAmplitude(output, frequency, outputRate) / toneAmplitude(input, frequency, 8000));
      expect(Math.abs(gainDb)).toBeLessThanOrEqual(1);
    });

    it('suppresses the images of a 1 kHz tone (7 and 9 kHz) by at least 60 dB', () => {
      const output = throughDefault(1000, 8000, outputRate, -1);
      const wanted = toneAmplitude(output, 1000, outputRate);
      for (const image of [7000, 9000].filter((f) => f < outputRate / 2)) {
        expect(
          dB(wanted / Math.max(toneAmplitude(output, image, outputRate), 1e-3)),
          `${image} Hz`,
        ).toBeGreaterThan(60);
      }
    });
  });

  describe.each([
    { inputRate: 48000, tones: [4600, 5000, 6000, 7000, 9000, 11000, 13000, 17000, 21000, 23000] },
    { inputRate: 24000, tones: [4600, 5000, 6000, 7000, 9000, 11000, 11900] },
    { inputRate: 16000, tones: [4600, 5000, 6000, 7000, 7900] },
  ])('downsampling $inputRate -> 8000 Hz', ({ inputRate, tones }) => {
    const reference = toneAmplitude(throughDefault(1000, inputRate, 8000, -1), 1000, 8000);

    it('rejects a 6 kHz tone by at least 40 dB relative to 1 kHz at the same level', () => {
      const leaked = toneAmplitude(throughDefault(6000, inputRate, 8000, -1), folded(6000, 8000), 8000);
      // Below half an LSB the output rounds to silence; count that as half an LSB.
      expect(dB(reference / Math.max(leaked, 0.5))).toBeGreaterThanOrEqual(40);
    });

    it('rejects everything from 4.6 kHz up (which would fold into the telephone band) by at least 60 dB', () => {
      for (const tone of tones) {
        const leaked = toneAmplitude(throughDefault(tone, inputRate, 8000, -1), folded(tone, 8000), 8000);
        expect(dB(reference / Math.max(leaked, 0.5)), `${tone} Hz`).toBeGreaterThan(60);
      }
    });

    it('passes 300 Hz to 3.4 kHz within 1 dB', () => {
      for (const tone of [300, 2000, 3400]) {
        const gain = toneAmplitude(throughDefault(tone, inputRate, 8000, -1), tone, 8000) / reference;
        expect(Math.abs(dB(gain)), `${tone} Hz`).toBeLessThanOrEqual(1);
      }
    });
  });

  it('handles rate pairs without a small common factor, e.g. 44.1 kHz -> 8 kHz', () => {
    const output = throughDefault(1000, 44100, 8000, -6);
    const input = sine(1000, 44100, 44100, -6);
    expect(Math.abs(dB(toneAmplitude(output, 1000, 8000) / toneAmplitude(input, 1000, 44100)))).toBeLessThan(
      0.1,
    );
  });
});
