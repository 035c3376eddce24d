import { describe, expect, it } from 'vitest';
import { createResampler } from '../src/index.js';
import { describeStreamingQuality } from './support/resampler-contract.js';
import { largestStep, sine, toInt16 } from './support/signal-quality.js';

describeStreamingQuality('polyphase', createResampler);

describe('the seam check', () => {
  it('notices a seam: a stream that loses one sample per 20 ms frame fails it', () => {
    const smooth = toInt16(sine(1000, 8000, 8000));
    const seamed = smooth.filter((_, i) => i % 160 !== 159);
    expect(largestStep(seamed, 800, 7000)).toBeGreaterThan(largestStep(smooth, 800, 7000) + 256);
  });
});
