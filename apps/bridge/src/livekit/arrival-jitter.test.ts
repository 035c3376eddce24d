import { describe, expect, it } from 'vitest';
import { ArrivalJitter } from './arrival-jitter.js';

const jitter = () => new ArrivalJitter({ floorMs: 20, ceilingMs: 60 });

/** Feeds `n` frames 20 ms apart (plus `extra(i)`) from `start`; returns the last arrival time. */
function feed(j: ArrivalJitter, start: number, n: number, extra: (i: number) => number = () => 0): number {
  let t = start;
  for (let i = 0; i < n; i++) {
    t += 20 + extra(i);
    j.note(t, 20);
  }
  return t;
}

describe('ArrivalJitter', () => {
  it('keeps the floor when frames arrive on their cadence', () => {
    const j = jitter();
    feed(j, 0, 500, (i) => (i % 2 === 0 ? 1 : -1)); // ±1 ms of timer noise
    expect(j.targetMs).toBe(20);
  });

  it('rises at once to the lateness seen, capped at the ceiling', () => {
    const j = jitter();
    let t = feed(j, 0, 50);
    t += 20 + 45; // one frame 45 ms late, the next ones in a burst behind it
    j.note(t, 20);
    expect(j.targetMs).toBe(45);
    t += 20 + 200;
    j.note(t, 20);
    expect(j.targetMs).toBe(60);
  });

  it('falls back to the floor slowly once arrivals are regular again', () => {
    const j = jitter();
    let t = feed(j, 0, 10);
    t += 60;
    j.note(t, 20); // 40 ms late
    t = feed(j, t, 50); // 1 s regular: 10 ms less
    expect(j.targetMs).toBeGreaterThanOrEqual(29);
    expect(j.targetMs).toBeLessThanOrEqual(31);
    feed(j, t, 150); // 3 s more
    expect(j.targetMs).toBe(20);
  });

  it('takes a stopped stream (a pause of seconds) for a pause, not lateness', () => {
    const j = jitter();
    let t = feed(j, 0, 10);
    t += 5_000;
    j.note(t, 20);
    expect(j.targetMs).toBe(20);
  });
});
