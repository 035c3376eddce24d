import { describe, expect, it } from 'vitest';
import { base64ToMuLaw, downmixToMono, muLawToBase64, pcm16FromBytes } from '../src/index.js';

describe('base64 payloads', () => {
  it('round-trips 160 μ-law bytes through a Twilio-style payload', () => {
    const bytes = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
    const payload = muLawToBase64(bytes);
    expect(payload).toBe(Buffer.from(bytes).toString('base64'));
    expect(payload.length).toBe(216);
    expect(Array.from(base64ToMuLaw(payload))).toEqual(Array.from(bytes));
  });

  it('encodes a view without copying its neighbours', () => {
    const whole = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(muLawToBase64(whole.subarray(2, 5))).toBe(Buffer.from([3, 4, 5]).toString('base64'));
  });

  it.each([
    ['', /empty/],
    ['////+', /not padded base64 \(length 5/],
    ['AAA*', /not padded base64/],
    ['AA', /not padded base64/],
    ['AAAA AAAA', /not padded base64/],
  ])('refuses %j rather than decoding part of it', (payload, error) => {
    expect(() => base64ToMuLaw(payload)).toThrow(error);
  });

  it('refuses a payload that is not a string, naming its type', () => {
    expect(() => base64ToMuLaw(42 as unknown as string)).toThrow(/base64 string, got number 42/);
    expect(() => muLawToBase64('abc' as unknown as Uint8Array)).toThrow(/Uint8Array, got string/);
  });
});

describe('downmixToMono', () => {
  it('averages stereo pairs, rounding', () => {
    const stereo = Int16Array.from([100, 200, -3, -4, 32767, 32767, -32768, 32767]);
    expect(Array.from(downmixToMono(stereo, 2))).toEqual([150, -3, 32767, 0]);
  });

  it('averages any channel count and writes into a caller buffer', () => {
    const out = new Int16Array(8);
    const mixed = downmixToMono(Int16Array.from([3, 6, 9, 30, 60, 90]), 3, out);
    expect(mixed.buffer).toBe(out.buffer);
    expect(Array.from(mixed)).toEqual([6, 60]);
  });

  it('returns mono input as is', () => {
    const mono = Int16Array.from([1, 2, 3]);
    expect(downmixToMono(mono, 1)).toBe(mono);
  });

  it('refuses a length that does not divide into the channels, or an impossible channel count', () => {
    expect(() => downmixToMono(new Int16Array(5), 2)).toThrow(/5 samples does not divide into 2 channels/);
    expect(() => downmixToMono(new Int16Array(4), 0)).toThrow(/channel count .* got 0/);
    expect(() => downmixToMono(new Int16Array(4), 1.5)).toThrow(/got 1.5/);
    expect(() => downmixToMono(new Int16Array(4), 2, new Int16Array(1))).toThrow(/holds 1 samples but 2/);
  });
});

describe('pcm16FromBytes', () => {
  it('reads little-endian samples, even from an odd offset in a pooled buffer', () => {
    const backing = new Uint8Array([0xaa, 0x34, 0x12, 0xff, 0xff]);
    expect(Array.from(pcm16FromBytes(backing.subarray(1)))).toEqual([0x1234, -1]);
  });

  it('refuses an odd number of bytes instead of dropping the last one', () => {
    expect(() => pcm16FromBytes(new Uint8Array(321))).toThrow(/even number of bytes, got 321/);
  });
});
