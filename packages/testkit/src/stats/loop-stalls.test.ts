import { describe, expect, it } from 'vitest';
import { stallsExplainGap, type Stall } from './loop-stalls.js';

// A 20 ms message period: a message read at 100 after a 60 ms gap was due at 60.
describe('stallsExplainGap', () => {
  it('explains a gap the loop was stalled through from the due time to the read', () => {
    const stalls: Stall[] = [[50, 101]];
    expect(stallsExplainGap(stalls, 60, 100, 20)).toBe(true);
  });

  it('allows one probe period free between stalls', () => {
    const stalls: Stall[] = [
      [55, 75],
      [79, 100],
    ];
    expect(stallsExplainGap(stalls, 60, 100, 20)).toBe(true);
  });

  it('does not explain a gap whose stall ended before the message was due', () => {
    // Stalled over the gap's first part, then free from 62 to the read at 100: the message came late.
    const stalls: Stall[] = [[40, 62]];
    expect(stallsExplainGap(stalls, 60, 100, 20)).toBe(false);
  });

  it('does not explain a gap when the loop was free just before the read', () => {
    const stalls: Stall[] = [[58, 85]];
    expect(stallsExplainGap(stalls, 60, 100, 20)).toBe(false);
  });

  it('does not explain a gap with no stall at all, nor a message that was not late', () => {
    expect(stallsExplainGap([], 60, 100, 20)).toBe(false);
    expect(stallsExplainGap([[0, 200]], 20, 100, 20)).toBe(false);
  });
});
