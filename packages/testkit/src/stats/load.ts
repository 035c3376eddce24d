import { type ChildProcess, spawn } from 'node:child_process';

export interface MachineLoad {
  /** Ends the load (kills the busy processes and waits until they are gone). */
  stop(): Promise<void>;
}

/**
 * A busy machine, bounded in time: `processes` child processes that spin on a core each until
 * `stop()` or `maxMs`, whichever comes first (so a test that dies early leaves no load behind).
 * Children, not worker threads: the process being measured keeps its own threads and CPU time.
 */
export function loadMachine({ processes = 2, maxMs = 120_000 } = {}): MachineLoad {
  const spin = `const end = Date.now() + ${Math.round(maxMs)}; let x = 0; while (Date.now() < end) x = (x + Math.sqrt(x + 1)) % 1e9;`;
  const children: ChildProcess[] = [];
  for (let i = 0; i < processes; i++)
    children.push(spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }));
  return {
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
