import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DtmfCollector, dtmfUserInput } from './dtmf.js';

describe('DtmfCollector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a burst of keys as one entry, at # at once or after a pause', () => {
    const entries: string[] = [];
    const c = new DtmfCollector({ interDigitTimeoutMs: 1500, onEntry: (k) => entries.push(k) });
    for (const k of '123#') c.press(k);
    expect(entries).toEqual(['123#']);
    c.press('4');
    vi.advanceTimersByTime(1000);
    c.press('5');
    vi.advanceTimersByTime(1499);
    expect(entries).toEqual(['123#']);
    vi.advanceTimersByTime(1);
    expect(entries).toEqual(['123#', '45']);
  });

  it('ignores anything that is not a keypad key and caps runaway entries', () => {
    const entries: string[] = [];
    const c = new DtmfCollector({ interDigitTimeoutMs: 1500, onEntry: (k) => entries.push(k), maxKeys: 3 });
    for (const k of ['x', '1', '', 'b', '*', '9']) c.press(k);
    expect(entries).toEqual(['1B*']);
    c.press('9');
    c.close();
    vi.advanceTimersByTime(5000);
    expect(entries).toEqual(['1B*']);
  });

  it('spells keys out for the model', () => {
    expect(dtmfUserInput('10*#')).toBe('[The caller pressed these keys on the phone keypad: 1 0 star pound]');
  });
});
