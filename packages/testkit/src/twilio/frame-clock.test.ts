import { describe, expect, it } from 'vitest';
import { waitFor } from '../wait/index.js';
import { FrameClock } from './_frame-clock.js';

/**
 * Resolves after `n` ticks of a fresh reference clock with the same period. Node fires timers in
 * deadline order, so any tick another clock still had due in that span has fired by then: how a
 * test sees that nothing happened without sleeping for a guessed time.
 */
function periodsElapse(n: number, periodMs = 20): Promise<void> {
  const reference = new FrameClock(periodMs);
  return new Promise((resolve) => {
    let ticks = 0;
    const stop = reference.subscribe(() => {
      if (++ticks < n) return;
      stop();
      resolve();
    });
  });
}

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* a stalled event loop */
  }
}

describe('FrameClock', () => {
  it('puts every tick on the origin + n·period grid and catches up after a stall, so no drift accumulates', async () => {
    const clock = new FrameClock(20);
    const dues: number[] = [];
    const done = new Promise<void>((resolve) => {
      const stop = clock.subscribe((due) => {
        dues.push(due);
        if (dues.length === 3) blockFor(75); // miss about three deadlines
        if (dues.length === 20) {
          stop();
          resolve();
        }
      });
    });
    await done;
    const steps = dues.slice(1).map((d, i) => d - (dues[i] as number));
    // Exactly one period apart, even across the stall (missed ticks fire back to back).
    for (const step of steps) expect(step).toBeCloseTo(20, 6);
    expect(clock.stats.maxLatenessMs).toBeGreaterThan(40);
  });

  it('serves several subscribers from one timer and stops when the last one leaves', async () => {
    const clock = new FrameClock(20);
    const seen = { a: [] as number[], b: [] as number[] };
    const stopA = clock.subscribe((d) => seen.a.push(d));
    const stopB = clock.subscribe((d) => seen.b.push(d));
    await waitFor('three ticks', () => seen.a.length >= 3);
    stopA();
    stopB();
    // One timer: both saw the same deadlines, in the same order.
    expect(seen.b).toEqual(seen.a);
    const ticks = clock.stats.ticks;
    await periodsElapse(3);
    expect(clock.stats.ticks).toBe(ticks);
  });

  it('keeps ticking for the others when a handler throws', async () => {
    const clock = new FrameClock(20);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    let good = 0;
    const stopBad = clock.subscribe(() => {
      throw new Error('broken call');
    });
    const stopGood = clock.subscribe(() => good++);
    await waitFor(
      'three good ticks and the warning',
      () => good >= 3 && warnings.some((w) => w.includes('broken call')),
    );
    stopBad();
    stopGood();
    process.off('warning', onWarning);
  });
});
