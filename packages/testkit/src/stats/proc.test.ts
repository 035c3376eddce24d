import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { countDelta, machineCpu, processHandles } from './proc.js';

describe('processHandles', () => {
  it('counts the files and sockets this process opens, by kind', async () => {
    const before = processHandles(process.pid);
    const fd = openSync(import.meta.filename, 'r');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const during = processHandles(process.pid);
      expect(countDelta(before.fds, during.fds)).toMatchObject({ file: 1, socket: 1 });
      expect(before.threads).not.toEqual({});
    } finally {
      closeSync(fd);
      await new Promise((resolve) => server.close(resolve));
    }
    expect(countDelta(before.fds, processHandles(process.pid).fds)).toEqual({});
  });
});

describe('countDelta', () => {
  it('keeps only the keys whose count changed, including ones present on one side only', () => {
    expect(countDelta({ a: 1, b: 2, c: 3 }, { a: 1, b: 5, d: 1 })).toEqual({ b: 3, c: -3, d: 1 });
  });
});

describe('machineCpu', () => {
  it('reads every core, and the cores together are the machine', () => {
    const cpu = machineCpu();
    expect(cpu.cores).toBeGreaterThan(0);
    expect(cpu.coreBusyMs).toHaveLength(cpu.cores);
    const sum = cpu.coreBusyMs.reduce((a, b) => a + b, 0);
    // /proc/stat's first line is the sum of the per-core lines; the kernel adds each line up on its
    // own, so on a busy machine they can be a few ticks apart.
    expect(Math.abs(sum - cpu.busyMs)).toBeLessThanOrEqual(cpu.busyMs * 0.001);
  });
});
