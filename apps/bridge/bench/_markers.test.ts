import { describe, expect, it } from 'vitest';
import { MARKER_EVERY_MS, pairMarkers, sliceByTime } from './_markers.js';

describe('bench:calls markers', () => {
  it('pairs each event with the latest burst sent before it, within one period', () => {
    const sent = [1000, 2000, 3000];
    const heard = [1040, 2070, 3000 + MARKER_EVERY_MS * 0.9];
    expect(pairMarkers(sent, heard)).toEqual([
      { at: 1000, delayMs: 40 },
      { at: 2000, delayMs: 70 },
    ]);
  });

  it('slices the delays by when their burst was sent, leaving out what came before the window', () => {
    const delays = [
      { at: 900, delayMs: 99 },
      { at: 1000, delayMs: 80 },
      { at: 5999, delayMs: 75 },
      { at: 6000, delayMs: 60 },
      { at: 11_500, delayMs: 55 },
    ];
    expect(sliceByTime(delays, 1000, 5000)).toEqual([[80, 75], [60], [55]]);
  });

  it('keeps an empty slice where no burst was sent, and refuses a slice that is not positive', () => {
    expect(sliceByTime([{ at: 11_000, delayMs: 50 }], 0, 5000)).toEqual([[], [], [50]]);
    expect(() => sliceByTime([], 0, 0)).toThrow(/sliceMs/);
    expect(() => sliceByTime([], 0, Number.NaN)).toThrow(/sliceMs/);
  });
});
