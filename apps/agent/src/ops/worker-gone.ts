import type { JobContext } from '@livekit/agents';
import type { Logger } from './logger.js';

/**
 * Ends the call's job as soon as the worker process that spawned it is gone (killed, crashed).
 * LiveKit Agents notices an orphaned job process only after a 15 s ping timeout and then exits
 * without leaving the room, which LiveKit takes another ~10 s to notice: 25 s of a silent agent on
 * the line. Leaving at once lets the bridge see the agent go and dispatch a new one (or apologise).
 * The job process learns of its parent's death from the IPC channel closing.
 */
export function leaveWhenWorkerGone(
  ctx: Pick<JobContext, 'shutdown' | 'addShutdownCallback'>,
  logger: Logger,
  proc: NodeJS.EventEmitter = process,
): void {
  const onGone = () => {
    logger.warn('agent worker gone: leaving the call');
    ctx.shutdown('agent worker gone');
  };
  proc.once('disconnect', onGone);
  ctx.addShutdownCallback(async () => {
    proc.off('disconnect', onGone);
  });
}
