// Pinning for bench:calls: the bridge alone on one core, everything else on the others.
import { execFileSync } from 'node:child_process';
import { machineCpu } from '@callbridge/testkit/stats';

function tasksetAvailable(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves this process (and so livekit-server and the echo processes it starts later) off
 * `bridgeCore`, unless `noPin` or the machine cannot (one core, no taskset). Returns whether it did.
 */
export function pinLoadGenerator(opts: {
  noPin: boolean;
  bridgeCore: number;
  log: (msg: string) => void;
}): boolean {
  const cores = machineCpu().cores;
  const pinned = !opts.noPin && cores >= 2 && tasksetAvailable();
  if (!opts.noPin && !pinned)
    opts.log(
      `bench:calls: not pinned (${cores} core(s), taskset ${tasksetAvailable() ? 'found' : 'missing'})`,
    );
  if (pinned) {
    // This process's threads first: livekit-server and the echo processes started below inherit it.
    execFileSync('taskset', ['-a', '-p', '-c', `1-${cores - 1}`, String(process.pid)], { stdio: 'ignore' });
    opts.log(
      `pinned: bridge on core ${opts.bridgeCore}, livekit-server and the load generator on cores 1-${cores - 1}`,
    );
  }
  return pinned;
}
