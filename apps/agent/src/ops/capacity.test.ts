import { describe, expect, it } from 'vitest';
import { CallCapacity } from './capacity.js';

describe('CallCapacity', () => {
  it('counts accepted-but-starting jobs, so a burst cannot exceed the limit', () => {
    let running: string[] = [];
    let now = 0;
    const c = new CallCapacity(
      2,
      () => running,
      () => now,
    );
    expect(c.tryReserve('j1')).toBe(true);
    expect(c.tryReserve('j2')).toBe(true);
    expect(c.tryReserve('j3')).toBe(false);
    expect(c.load()).toBe(1);
    // j1 starts running: counted once, not twice.
    running = ['j1'];
    expect(c.inUse).toBe(2);
    // j2 never started (e.g. the assignment went elsewhere): its slot frees after a while.
    now = 16_000;
    expect(c.inUse).toBe(1);
    expect(c.load()).toBe(0.5);
    running = [];
    expect(c.tryReserve('j4')).toBe(true);
  });
});
