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

/**
 * Gives this process's main thread, where the simulated phones read and time the bridge's media
 * messages, a real-time priority (SCHED_RR 1) on its core, so livekit-server and the echo processes
 * beside it cannot delay those reads: a message read late looks, at the phone, like a gap the bridge
 * made. Reset on fork: the processes it starts later run at normal priority; the kernel keeps 5 %
 * of every second for the rest whatever this thread does. Returns whether it could (root and chrt
 * needed).
 */
export function prioritisePhones(log: (msg: string) => void): boolean {
  try {
    execFileSync('chrt', ['--reset-on-fork', '--rr', '--pid', '1', String(process.pid)], { stdio: 'ignore' });
    log('the simulated phones (this main thread) run at real-time priority on their core');
    return true;
  } catch {
    log('bench:calls: could not give the simulated phones real-time priority (needs root and chrt)');
    return false;
  }
}
