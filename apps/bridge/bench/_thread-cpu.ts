// CPU time of a process's threads, by thread name, from Linux /proc (schedstat: nanoseconds on a
// CPU, finer than the 10 ms ticks of /proc/<pid>/stat). The cost benchmark compares two snapshots.
import { readFileSync, readdirSync } from 'node:fs';

/** Nanoseconds on a CPU so far, per thread id, with the thread's name. */
export type ThreadCpu = Map<string, { name: string; ns: number }>;

export function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(tid, { name, ns });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * CPU ms spent between two snapshots, per thread name ({@link threadKey}). A thread born in between counts from zero; one that ended in
 * between is lost (the total says how much: compare with the process's own CPU time).
 */
export function cpuMsByName(before: ThreadCpu, after: ThreadCpu, pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [tid, { name, ns }] of after) {
    const key = threadKey(pid, tid, name);
    out[key] = (out[key] ?? 0) + (ns - (before.get(tid)?.ns ?? 0)) / 1e6;
  }
  return out;
}

/**
 * A thread's name for the report: Node's main thread apart from its helpers (V8's GC and compiler
 * threads and libuv's pool are all called "node" too); numbered pools as one name.
 */
export function threadKey(pid: number, tid: string, name: string): string {
  if (name === 'node') return tid === String(pid) ? 'node (main)' : 'node (helpers)';
  return name.replace(/[-_ ]?\d+$/, '');
}

export const totalMs = (byName: Record<string, number>): number =>
  Object.values(byName).reduce((a, b) => a + b, 0);
