import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
}

/** CPU time all cores have spent busy, from Linux /proc/stat: tells a saturated machine from a slow process. */
export function machineCpu(): MachineCpu {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const total = lines[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busyTicks = total.reduce((a, b) => a + b, 0) - (total[3] ?? 0) - (total[4] ?? 0);
  const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length;
  return { busyMs: (busyTicks * 1000) / ticksPerSecond, cores };
}
