import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { leaveWhenWorkerGone } from './worker-gone.js';

function fakeJob() {
  const reasons: string[] = [];
  const callbacks: Array<() => Promise<void>> = [];
  return {
    reasons,
    callbacks,
    ctx: {
      shutdown: (reason?: string) => void reasons.push(reason ?? ''),
      addShutdownCallback: (cb: () => Promise<void>) => void callbacks.push(cb),
    },
  };
}

describe('leaveWhenWorkerGone', () => {
  it('shuts the job down when the IPC channel to the worker closes', () => {
    const proc = new EventEmitter();
    const job = fakeJob();
    leaveWhenWorkerGone(job.ctx, pino({ level: 'silent' }), proc);
    expect(job.reasons).toEqual([]);
    proc.emit('disconnect');
    expect(job.reasons).toEqual(['agent worker gone']);
  });

  it('stops listening once the job has ended', async () => {
    const proc = new EventEmitter();
    const job = fakeJob();
    leaveWhenWorkerGone(job.ctx, pino({ level: 'silent' }), proc);
    for (const cb of job.callbacks) await cb();
    expect(proc.listenerCount('disconnect')).toBe(0);
    proc.emit('disconnect');
    expect(job.reasons).toEqual([]);
  });
});
