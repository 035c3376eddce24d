import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

let ticksPerSecond: number | undefined;

export interface ProcessUsage {
  /** User + system CPU time consumed so far. */
  cpuMs: number;
  rssMb: number;
}

/** CPU time and resident memory of another process, from Linux /proc (the benchmarks run there). */
export function processUsage(pid: number): ProcessUsage {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs: ((utime + stime) * 1000) / ticksPerSecond, rssMb: rssKb / 1024 };
}

export interface MachineCpu {
  /** Busy (non-idle, non-iowait) CPU time of all cores together so far. */
  busyMs: number;
  cores: number;
  /** Busy CPU time of each core so far (index = CPU number). */
  coreBusyMs: number[];
}

/** CPU time all cores have spent busy, from Linux /proc/stat: tells a saturated machine from a slow process. */
export function machineCpu(): MachineCpu {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const tps = ticksPerSecond;
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
  const busyMs = (line: string) => {
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    return ((ticks.reduce((a, b) => a + b, 0) - (ticks[3] ?? 0) - (ticks[4] ?? 0)) * 1000) / tps;
  };
  const coreBusyMs: number[] = [];
  for (const line of lines) {
    const cpu = /^cpu(\d+) /.exec(line);
    if (cpu) coreBusyMs[Number(cpu[1])] = busyMs(line);
  }
  return { busyMs: busyMs(lines[0]!), cores: coreBusyMs.length, coreBusyMs };
}

export interface ProcessHandles {
  /** Open file descriptors by kind: `socket`, `pipe`, `anon_inode:[eventfd]`, `file`, … */
  fds: Record<string, number>;
  /** Threads by name (`comm`): tells WebRTC/tokio/libuv threads apart when their count changes. */
  threads: Record<string, number>;
}

/** What a process holds open, by kind, from Linux /proc: the soak compares two of these to name a leak. */
export function processHandles(pid: number): ProcessHandles {
  const fds: Record<string, number> = {};
  for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
    const target = safeReadlink(`/proc/${pid}/fd/${fd}`);
    if (target === undefined) continue; // closed between the listing and the look
    const kind = /^(socket|pipe):/.exec(target)?.[1] ?? (target.startsWith('anon_inode:') ? target : 'file');
    fds[kind] = (fds[kind] ?? 0) + 1;
  }
  const threads: Record<string, number> = {};
  for (const tid of safeReaddir(`/proc/${pid}/task`)) {
    const name = safeRead(`/proc/${pid}/task/${tid}/comm`)?.trim();
    if (name === undefined) continue;
    // Numbered pools ("tokio-runtime-w", "worker-3") count as one name.
    const key = name.replace(/[-_ ]?\d+$/, '');
    threads[key] = (threads[key] ?? 0) + 1;
  }
  return { fds, threads };
}

/** `after - before` per key, leaving out the keys that did not change. */
export function countDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[key] ?? 0) - (before[key] ?? 0);
    if (d !== 0) delta[key] = d;
  }
  return delta;
}

const safeReaddir = (path: string): string[] => {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
};
const safeReadlink = (path: string): string | undefined => {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
};
const safeRead = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Share of one core a process used over the next `windowMs` of wall time (0.25 = a quarter of a
 * core), from its /proc CPU time. A measurement window, not a wait: callers compare two of these.
 */
export async function cpuShare(pid: number, windowMs: number): Promise<number> {
  const before = processUsage(pid).cpuMs;
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return (processUsage(pid).cpuMs - before) / (performance.now() - startedAt);
}

/** Names whose thread count grew from `before` to `after` (e.g. `{ AudioSourceCapt: 3 }`). */
export function threadGrowth(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(Object.entries(countDelta(before, after)).filter(([, d]) => d > 0));
}
