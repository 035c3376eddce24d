import { describe, expect, it } from 'vitest';
import { speechPcm } from '../../testkit/src/audio-fixtures/index.js';
import { muLawDecode, muLawEncode } from '../src/index.js';
import { soxConvert, soxPcm16 } from './support/sox.js';

/** The G.711 μ-law expansion written out from the standard, independently of alawmulaw. */
function g711Expand(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return (inverted & 0x80 ? -magnitude : magnitude) | 0; // | 0 turns -0 into 0
}

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Position of each decoded value among the 255 distinct μ-law levels, to count code steps. */
function levelRank(): Map<number, number> {
  const levels = [...new Set(muLawDecode(ALL_CODES))].sort((a, b) => a - b);
  return new Map(levels.map((level, rank) => [level, rank]));
}

describe('μ-law codec', () => {
  it('decodes every code to the level G.711 defines', () => {
    const decoded = Array.from(muLawDecode(ALL_CODES));
    expect(decoded).toEqual(Array.from(ALL_CODES, g711Expand));
  });

  it('re-encodes every decoded level to the same code (0x7f, negative zero, becomes 0xff)', () => {
    const reencoded = Array.from(muLawEncode(muLawDecode(ALL_CODES)));
    expect(reencoded).toEqual(Array.from(ALL_CODES, (code) => (code === 0x7f ? 0xff : code)));
  });

  it('encodes every PCM16 value to a level within half its quantisation step (clipping aside)', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const decoded = muLawDecode(muLawEncode(all));
    const outOfStep: string[] = [];
    for (let i = 0; i < all.length; i++) {
      const x = all[i]!;
      const magnitude = Math.min(Math.abs(x), 32124);
      // Segment e has steps of 2^(e+3); the bias 0x84 = 132 shifts segment edges to 2^(e+7)-132.
      const step = 2 ** (Math.max(0, Math.floor(Math.log2(magnitude + 132)) - 7) + 3);
      if (Math.abs(Math.abs(decoded[i]!) - magnitude) > step / 2) outOfStep.push(`${x} -> ${decoded[i]}`);
    }
    expect(outOfStep).toEqual([]);
  });

  it('writes into a caller buffer without allocating, and refuses one that is too short', () => {
    const bytes = new Uint8Array([0xff, 0x80, 0x00, 0x7f]);
    const out = new Int16Array(4);
    expect(muLawDecode(bytes, out)).toBe(out);
    expect(Array.from(out)).toEqual([0, 32124, -32124, 0]);
    const longer = new Int16Array(10);
    expect(muLawDecode(bytes, longer).buffer).toBe(longer.buffer);
    expect(() => muLawDecode(bytes, new Int16Array(3))).toThrow(/holds 3 samples but 4/);
    const codes = new Uint8Array(2);
    expect(muLawEncode(new Int16Array([0, -1]), codes)).toBe(codes);
    expect(() => muLawEncode(new Int16Array(5), new Uint8Array(4))).toThrow(/holds 4 samples but 5/);
  });

  it('refuses inputs of the wrong type, naming what it got', () => {
    expect(() => muLawDecode([1, 2, 3] as unknown as Uint8Array)).toThrow(
      /Uint8Array.*got Array\(length 3\)/,
    );
    expect(() => muLawEncode(new Float32Array(2) as unknown as Int16Array)).toThrow(
      /Int16Array.*Float32Array/,
    );
    expect(() => muLawDecode(new Uint8Array(2), new Float64Array(2) as unknown as Int16Array)).toThrow(
      /Int16Array, got Float64Array/,
    );
  });

  describe('against sox on espeak-ng speech', () => {
    const speech = speechPcm({ text: 'Thanks for calling. How can I help you today?', sampleRate: 8000 });

    it('encodes like sox: every code identical or one quantisation step away', () => {
      const ours = muLawEncode(speech);
      const theirs = soxConvert(speech, { kind: 'pcm16', rate: 8000 }, { kind: 'mulaw', rate: 8000 });
      expect(theirs.length).toBe(ours.length);
      const rank = levelRank();
      const ourLevels = muLawDecode(ours);
      const theirLevels = muLawDecode(theirs);
      let identical = 0;
      const apart: string[] = [];
      for (let i = 0; i < ours.length; i++) {
        const steps = Math.abs(rank.get(ourLevels[i]!)! - rank.get(theirLevels[i]!)!);
        if (steps > 1) apart.push(`sample ${i} (${speech[i]}): ${steps} steps`);
        if (ours[i] === theirs[i]) identical++;
      }
      expect(apart).toEqual([]);
      // sox quantises from 14 bits, so only values near a level boundary may round differently.
      expect(identical / ours.length).toBeGreaterThan(0.85);
    });

    it('decodes exactly like sox', () => {
      const codes = muLawEncode(speech);
      const theirs = soxPcm16(codes, { kind: 'mulaw', rate: 8000 }, { kind: 'pcm16', rate: 8000 });
      expect(Array.from(muLawDecode(codes))).toEqual(Array.from(theirs));
      const everyCode = soxPcm16(ALL_CODES, { kind: 'mulaw', rate: 8000 }, { kind: 'pcm16', rate: 8000 });
      expect(Array.from(muLawDecode(ALL_CODES))).toEqual(Array.from(everyCode));
    });
  });
});
