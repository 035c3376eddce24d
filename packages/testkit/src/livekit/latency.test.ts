import { describe, expect, it } from 'vitest';
import { loopbackFramesWithin, measureLoopbackLatency } from './latency.js';

const noServer = { url: 'ws://127.0.0.1:1', apiKey: 'k', apiSecret: 's' };

describe('the plain hop over tracks one after another', () => {
  it('fits its rounds into a wall time, after what each round costs to join and leave', () => {
    // 8 s with 4 rounds: 4 × 0.7 s to join and leave, the rest in 20 ms frames.
    expect(loopbackFramesWithin(8000, 4, 8)).toBe(260);
    // Never fewer than each round needs for one burst after its 500 ms of settling.
    expect(loopbackFramesWithin(1000, 4, 8)).toBe(4 * 33);
    expect(loopbackFramesWithin(1000, 8, 10)).toBe(8 * 31);
  });

  it('refuses settings that measure nothing, before it joins anything', async () => {
    await expect(measureLoopbackLatency(noServer, { frames: 50, rounds: 2 })).rejects.toThrow(/no burst/);
    await expect(measureLoopbackLatency(noServer, { rounds: 0 })).rejects.toThrow(
      /rounds must be a positive/,
    );
    await expect(measureLoopbackLatency(noServer, { frames: Number.NaN })).rejects.toThrow(/frames must be/);
    await expect(measureLoopbackLatency(noServer, { frames: Infinity })).rejects.toThrow(/frames must be/);
    await expect(measureLoopbackLatency(noServer, { markerEvery: 0 })).rejects.toThrow(/markerEvery must be/);
  });
});
