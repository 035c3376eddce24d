import { afterEach, describe, expect, it, vi } from 'vitest';
import { intervalTicker } from './uplink-ticker.js';

describe('intervalTicker', () => {
  afterEach(() => vi.useRealTimers());

  it('beats every call on one timer while any is added, says when a beat came late, and stops when none is', () => {
    vi.useFakeTimers();
    let clock = 0;
    const ticker = intervalTicker(5, () => clock);
    const a: [number, boolean][] = [];
    const b: number[] = [];
    const stopA = ticker.add((now, late) => a.push([now, late]));
    const stopB = ticker.add((now) => b.push(now));
    expect(vi.getTimerCount()).toBe(1);
    for (const step of [5, 5, 40, 5]) {
      clock += step;
      vi.advanceTimersByTime(5);
    }
    expect(a).toEqual([
      [5, false],
      [10, false],
      [50, true],
      [55, false],
    ]);
    expect(b).toEqual([5, 10, 50, 55]);
    stopA();
    expect(vi.getTimerCount()).toBe(1);
    stopB();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drops a beat that throws and keeps beating the others', () => {
    vi.useFakeTimers();
    const ticker = intervalTicker(5, () => 0);
    const good: number[] = [];
    ticker.add(() => {
      throw new Error('broken');
    });
    ticker.add((now) => good.push(now));
    vi.advanceTimersByTime(10);
    expect(good.length).toBe(2);
  });
});
