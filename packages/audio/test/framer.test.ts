import { describe, expect, it } from 'vitest';
import { MULAW_FRAME_BYTES, muLawEncode, MuLawFramer, PcmFramer, samplesPerFrame } from '../src/index.js';

const ramp = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('MuLawFramer', () => {
  it('cuts arbitrary chunks into exact 160-byte frames, in order, holding back the remainder', () => {
    const framer = new MuLawFramer();
    const stream = ramp(1000);
    const frames = [100, 3, 257, 1, 400, 239].flatMap((size, i, sizes) => {
      const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
      return framer.push(stream.subarray(start, start + size));
    });
    expect(frames.map((f) => f.length)).toEqual([160, 160, 160, 160, 160, 160]);
    expect(Array.from(frames.flatMap((f) => Array.from(f)))).toEqual(Array.from(stream.subarray(0, 960)));
    expect(framer.pending).toBe(40);
  });

  it('flushes the tail padded with μ-law silence (0xFF), and nothing when nothing is held', () => {
    const framer = new MuLawFramer();
    framer.push(ramp(170));
    const [tail, ...rest] = framer.flush();
    expect(rest).toEqual([]);
    expect(Array.from(tail!.subarray(0, 10))).toEqual(Array.from(ramp(10, 160)));
    expect(tail!.subarray(10).every((b) => b === 0xff)).toBe(true);
    expect(framer.flush()).toEqual([]);
  });

  it('returns frames the caller can keep: each its own buffer, untouched by later pushes', () => {
    const framer = new MuLawFramer();
    const first = framer.push(ramp(MULAW_FRAME_BYTES, 1));
    const second = framer.push(ramp(MULAW_FRAME_BYTES, 99));
    expect(first[0]!.buffer).not.toBe(second[0]!.buffer);
    expect(Array.from(first[0]!)).toEqual(Array.from(ramp(MULAW_FRAME_BYTES, 1)));
  });

  it('encodes PCM straight into frames, exactly as encoding first and framing after', () => {
    const pcm = Int16Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i / 5) * 20000));
    const direct = new MuLawFramer();
    const viaBytes = new MuLawFramer();
    const a = [
      ...direct.pushPcm(pcm.subarray(0, 123)),
      ...direct.pushPcm(pcm.subarray(123)),
      ...direct.flush(),
    ];
    const b = [...viaBytes.push(muLawEncode(pcm)), ...viaBytes.flush()];
    expect(a.map((f) => Array.from(f))).toEqual(b.map((f) => Array.from(f)));
    expect(() => direct.pushPcm(new Uint8Array(3) as unknown as Int16Array)).toThrow(
      /framer PCM input .* Uint8Array/,
    );
  });

  it('reset drops what it held', () => {
    const framer = new MuLawFramer();
    framer.push(ramp(50));
    framer.reset();
    expect(framer.pending).toBe(0);
    expect(framer.push(ramp(160, 7))[0]![0]).toBe(7);
  });

  it('refuses empty chunks, wrong types and impossible frame sizes, naming them', () => {
    const framer = new MuLawFramer();
    expect(() => framer.push(new Uint8Array(0))).toThrow(/empty \(0 samples\)/);
    expect(() => framer.push(new Int16Array(4) as unknown as Uint8Array)).toThrow(
      /wrong type: Int16Array\(length 4\)/,
    );
    expect(() => new MuLawFramer(0)).toThrow(/got 0/);
    expect(() => new MuLawFramer(12.5)).toThrow(/got 12.5/);
  });
});

describe('PcmFramer', () => {
  it('frames PCM at 20 ms for any rate and pads the tail with zeros', () => {
    expect(samplesPerFrame(48000)).toBe(960);
    expect(samplesPerFrame(8000)).toBe(160);
    const framer = new PcmFramer(samplesPerFrame(48000));
    const chunk = Int16Array.from({ length: 480 }, (_, i) => i - 240);
    expect(framer.push(chunk)).toEqual([]);
    const [frame] = framer.push(chunk);
    expect(frame!.length).toBe(960);
    expect(Array.from(frame!.subarray(480))).toEqual(Array.from(chunk));
    framer.push(chunk.subarray(0, 10));
    const [tail] = framer.flush();
    expect(Array.from(tail!.subarray(0, 10))).toEqual(Array.from(chunk.subarray(0, 10)));
    expect(tail!.subarray(10).every((v) => v === 0)).toBe(true);
  });

  it('refuses a rate that has no whole number of samples in 20 ms', () => {
    expect(() => samplesPerFrame(11025)).toThrow(/20 ms at 11025 Hz is not a whole/);
    expect(() => new PcmFramer(-1)).toThrow(/got -1/);
  });
});
