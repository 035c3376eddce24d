import type { Logger } from '../logger.js';

/**
 * The call record's writes, queued per call so they land in order. A failing write is logged, not
 * propagated: losing a record line must not drop a live call.
 */
export class CallWriteQueue {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    /** Writes wait for the database to be open; calls never do. */
    private readonly ready: Promise<void>,
    private readonly log: Logger,
  ) {}

  /** Queues `work` after this call's earlier writes; resolves once it ran (or failed and was logged). */
  write(callSid: string, what: string, work: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(callSid) ?? Promise.resolve();
    const next = previous
      .then(() => this.ready)
      .then(work)
      .catch((err: Error) => {
        this.log.error({ callSid, err: err.message, what }, 'call record write failed');
      });
    this.queues.set(callSid, next);
    void next.then(() => {
      if (this.queues.get(callSid) === next) this.queues.delete(callSid);
    });
    return next;
  }

  /** This call's queued writes, if any are left (never rejects). */
  pending(callSid: string): Promise<void> | undefined {
    return this.queues.get(callSid);
  }

  /** Waits for every queued write (shutdown, tests). */
  async flushed(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }
}
