// Instructions a process retires over a window, per thread name, with `perf stat` (Debian:
// linux-perf). Needs hardware performance counters: many VMs have none (`perf stat -e instructions`
// then says <not supported>), and then the cost benchmark reports CPU time and probe units only.
import { spawn, spawnSync } from 'node:child_process';
import { threadKey } from './_thread-cpu.js';

/** Why instructions cannot be counted here, or null when they can. */
export function instructionsUnavailable(): string | null {
  const run = spawnSync('perf', ['stat', '-x,', '-e', 'instructions:u', 'true'], { encoding: 'utf8' });
  if (run.error) return 'perf not installed (Debian: apt-get install linux-perf)';
  const out = run.stderr;
  if (/not supported|not counted/.test(out))
    return 'no hardware counters (perf: instructions <not supported>)';
  if (/Permission|paranoid/i.test(out)) return 'perf_event_paranoid forbids counting';
  return /^\d+,/m.test(out) ? null : `perf stat gave no count: ${out.trim().slice(0, 200)}`;
}

/** Starts counting `pid`'s user-space instructions per thread; `stop()` ends it and returns them by thread name. */
export function countInstructions(
  pid: number,
  event = 'instructions:u',
): { stop(): Promise<Record<string, number>> } {
  const perf = spawn('perf', ['stat', '--per-thread', '-x,', '-e', event, '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  perf.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((resolve) => perf.once('exit', () => resolve()));
  return {
    async stop() {
      perf.kill('SIGINT');
      await exited;
      const out: Record<string, number> = {};
      // CSV lines: "<comm>-<tid>,<count>,<unit>,<event>,…"
      for (const line of text.split('\n')) {
        const m = /^(.*)-(\d+),([\d.]+),/.exec(line);
        if (!m) continue;
        const key = threadKey(pid, m[2]!, m[1]!);
        out[key] = (out[key] ?? 0) + Number(m[3]);
      }
      return out;
    },
  };
}
