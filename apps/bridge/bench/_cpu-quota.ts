// bench:calls --bridge-cpu: the bridge confined to a share of its core by a cgroup CPU quota, as a
// container CPU limit does (Kubernetes limits.cpu, docker --cpus). Its knee is then what that share
// carries, low enough for the load generator on the other core to offer twice it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The quota's period. Short, so a throttled bridge waits at most this minus its share (7.5 ms at
 * 0.25 cores), never a whole frame; the kernel's default 100 ms would stall it 50 ms at a time.
 */
const PERIOD_US = 10_000;

export interface CpuQuota {
  cores: number;
  cgroup: string;
  /** Removes the cgroup (the process in it has exited or is moved back to the root first). */
  release(): void;
}

/** Puts `pid` (all its threads, and any it starts later) under a CPU quota of `cores`. */
export function confineToCpuQuota(pid: number, cores: number): CpuQuota {
  const quotaUs = Math.round(cores * PERIOD_US);
  const name = `callbridge-bench-${process.pid}`;
  const v1Root = '/sys/fs/cgroup/cpu';
  const v2Root = '/sys/fs/cgroup';
  try {
    if (existsSync(join(v1Root, 'cpu.cfs_quota_us'))) {
      const dir = join(v1Root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
      if (existsSync(join(dir, 'cpu.cfs_burst_us')))
        writeFileSync(join(dir, 'cpu.cfs_burst_us'), String(quotaUs));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return { cores, cgroup: dir, release: () => release(dir, v1Root) };
    }
    if (readFileSync(join(v2Root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) {
      writeFileSync(join(v2Root, 'cgroup.subtree_control'), '+cpu');
      const dir = join(v2Root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
      if (existsSync(join(dir, 'cpu.max.burst'))) writeFileSync(join(dir, 'cpu.max.burst'), String(quotaUs));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      return { cores, cgroup: dir, release: () => release(dir, v2Root) };
    }
  } catch (err) {
    throw new Error(
      `--bridge-cpu needs a writable cgroup CPU controller (run as root; /sys/fs/cgroup/cpu or cgroup v2 with cpu): ${(err as Error).message}`,
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
