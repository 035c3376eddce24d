import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { stopChild } from './stop-child.js';

const running = new Set<ChildProcess>();

// A test runner that exits (or a test that times out and tears the worker down) must not leave a
// server behind holding ports: kill whatever is still running when this process goes away.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A server binary the testkit started (livekit-server, redis-server), with its output kept. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Its stdout and stderr so far (bounded: the start and the latest part of a long log). */
  output(): string;
  /** Why it could not be started (binary missing, …), once Node reported it. */
  spawnError(): Error | undefined;
  /** Stops it (SIGTERM, then SIGKILL) and removes its working directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `binary` with `args` (and `env` added to this process's environment); `dir` (its config
 * and data) is removed when it stops.
 */
export function spawnServer(
  binary: string,
  args: string[],
  dir: string,
  env: Record<string, string> = {},
): ServerProcess {
  let output = '';
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    // Keep memory bounded on long benchmarks; the start of the log is what explains failures.
    if (output.length > 2_000_000) output = output.slice(0, 200_000) + '\n…\n' + output.slice(-1_000_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  let stopped = false;
  return {
    child,
    output: () => output,
    spawnError: () => spawnError,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child, exited);
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
