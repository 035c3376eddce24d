// bench:calls --bridge-cpu: the bridge confined to a share of its core by a cgroup CPU quota, as a
// container CPU limit does (Kubernetes limits.cpu, docker --cpus). Its knee is then what that share
// carries, low enough for the load generator on the other core to offer twice it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The quota's period unless given. Short, so a throttled bridge waits at most this minus its share
 * (7.5 ms at 0.25 cores), never a whole frame; the kernel's default 100 ms (docker --cpus,
 * Kubernetes limits) can stall it 50 ms at a time at half a core.
 */
export const DEFAULT_PERIOD_MS = 10;

export interface CpuQuota {
  cores: number;
  periodMs: number;
  /** CPU time a period may use beyond the quota, saved from periods that used less; null where the kernel has no burst. */
  burstMs: number | null;
  cgroup: string;
  /** Removes the cgroup (the process in it has exited or is moved back to the root first). */
  release(): void;
}

/** Puts `pid` (all its threads, and any it starts later) under a CPU quota of `cores` per `periodMs`. */
export function confineToCpuQuota(
  pid: number,
  cores: number,
  periodMs = DEFAULT_PERIOD_MS,
  burstMs?: number,
): CpuQuota {
  const periodUs = periodMs * 1000;
  const quotaUs = Math.round(cores * periodUs);
  // By default a period may burst up to one more quota; docker and Kubernetes leave it at 0.
  const burstUs = burstMs === undefined ? quotaUs : Math.round(burstMs * 1000);
  const name = `callbridge-bench-${process.pid}`;
  const v1Root = '/sys/fs/cgroup/cpu';
  const v2Root = '/sys/fs/cgroup';
  let made: { dir: string; root: string } | undefined;
  /** Writes the burst where the kernel has it (5.14 and later); the burst applied, or null. */
  const writeBurst = (file: string): number | null => {
    if (!existsSync(file)) return null;
    writeFileSync(file, String(burstUs));
    return burstUs / 1000;
  };
  const setting = `${cores} cores = ${quotaUs} µs per ${periodUs} µs, burst ${burstUs} µs`;
  try {
    if (existsSync(join(v1Root, 'cpu.cfs_quota_us'))) {
      const dir = join(v1Root, name);
      mkdirSync(dir, { recursive: true });
      made = { dir, root: v1Root };
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(periodUs));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
      const applied = writeBurst(join(dir, 'cpu.cfs_burst_us'));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return { cores, periodMs, burstMs: applied, cgroup: dir, release: () => release(dir, v1Root) };
    }
    if (readFileSync(join(v2Root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) {
      writeFileSync(join(v2Root, 'cgroup.subtree_control'), '+cpu');
      const dir = join(v2Root, name);
      mkdirSync(dir, { recursive: true });
      made = { dir, root: v2Root };
      writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${periodUs}`);
      const applied = writeBurst(join(dir, 'cpu.max.burst'));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return { cores, periodMs, burstMs: applied, cgroup: dir, release: () => release(dir, v2Root) };
    }
  } catch (err) {
    if (made) release(made.dir, made.root);
    throw new Error(
      `--bridge-cpu: the cgroup CPU controller refused ${setting} (run as root, with /sys/fs/cgroup/cpu or cgroup v2 with cpu; the kernel wants a quota of at least 1 ms and a burst of at most one quota): ${(err as Error).message}`,
    );
  }
  throw new Error(
    '--bridge-cpu needs a cgroup CPU controller (/sys/fs/cgroup/cpu or cgroup v2 with cpu); none found',
  );
}

function release(dir: string, root: string): void {
  try {
    const left = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    for (const pid of left) writeFileSync(join(root, 'cgroup.procs'), pid);
    rmdirSync(dir);
  } catch {
    // already gone, or the process is still exiting: the empty cgroup costs nothing
  }
}
