// One process of an echo pool (see echo-pool.ts): hosts echo participants for the rooms its parent
// names over IPC. Onsets are stamped on the epoch clock so the parent can compare them with its own.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dispose } from '@livekit/rtc-node';
import { startEcho, type EchoParticipant } from './echo.js';
import { EchoWorkerCommand, type EchoWorkerReply } from './_echo-protocol.js';

const echoes = new Map<string, EchoParticipant>();
/** Joins not finished yet: leave_all and exit wait for them, so a late join never outlives them. */
const joining = new Set<Promise<unknown>>();
/** Bumped by leave_all: a join that lands after it leaves again at once. */
let generation = 0;
const epochNow = () => performance.timeOrigin + performance.now();
const reply = (msg: EchoWorkerReply) => process.send?.(msg);
/** How late this process's event loop runs: a late echo would be blamed on the bridge. */
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

process.on('message', (raw) => {
  const parsed = EchoWorkerCommand.safeParse(raw);
  if (!parsed.success) {
    reply({ type: 'error', error: `bad command: ${parsed.error.message}` });
    return;
  }
  const cmd = parsed.data;
  switch (cmd.type) {
    case 'join': {
      const joinedIn = generation;
      const join = startEcho(cmd.server, cmd.room, { now: epochNow }).then(
        async (echo) => {
          if (joinedIn !== generation) {
            await echo.leave();
            reply({ type: 'join_failed', room: cmd.room, error: 'left before the join finished' });
            return;
          }
          echoes.set(cmd.room, echo);
          reply({ type: 'joined', room: cmd.room });
        },
        (err: unknown) => reply({ type: 'join_failed', room: cmd.room, error: String(err) }),
      );
      joining.add(join);
      void join.finally(() => joining.delete(join));
      break;
    }
    case 'collect':
      reply({
        type: 'collected',
        requestId: cmd.requestId,
        echoes: [...echoes].map(([room, e]) => ({
          room,
          onsets: [...e.onsets],
          published: [...e.published],
          frames: e.frames(),
        })),
        lagP99Ms: lag.percentile(99) / 1e6,
      });
      lag.reset();
      break;
    case 'leave_all':
      void leaveAll().then(() => reply({ type: 'left', requestId: cmd.requestId }));
      break;
    case 'exit':
      void leaveAll()
        .then(() => dispose())
        .finally(() => process.exit(0));
      break;
  }
});
/** Leaves every echo, including the ones still joining (they leave as soon as they are in). */
async function leaveAll(): Promise<void> {
  generation++;
  const leaving = [...echoes.values()].map((e) => e.leave());
  echoes.clear();
  await Promise.all([...leaving, ...joining]);
  // rtc-node frees a published track's native side (and with it the capture source and its
  // AudioSourceCapt thread) only when the track's JS object is collected. This process allocates
  // little, so without a collection here a soak piled up 836 capture threads in it and the load
  // generator, not the bridge, set the pace.
  (globalThis as { gc?: () => void }).gc?.();
}

process.on('disconnect', () => process.exit(0));
// As in the bridge (apps/bridge/src/main.ts): a handle the FFI already freed makes rtc-node's GC
// finalizer throw. Harmless; anything else still ends this process.
process.on('uncaughtException', (err) => {
  if ((err as Error & { code?: unknown }).code === 'GenericFailure' && /invalid handle/.test(err.message))
    return;
  process.stderr.write(`echo process: ${err.stack ?? String(err)}\n`);
  process.exit(1);
});
reply({ type: 'ready' });
