/**
 * The CPU this process may use, as the admission's `cpu` signal measures against it: one core, or
 * less when its cgroup has a CPU quota (a container's CPU limit: Kubernetes `limits.cpu`, Docker
 * `--cpus`). A bridge limited to half a core is full at half a core; measured against a whole one
 * it would never look busy while its calls lose their audio.
 *
 * cgroup v2 `cpu.max` ("max 100000" or "50000 100000") and v1 `cpu.cfs_quota_us` (-1 = none) over
 * `cpu.cfs_period_us` are read on the process's own cgroup and every ancestor: the tightest wins.
 */
import { readFileSync } from 'node:fs';

export type ReadFile = (path: string) => string | undefined;

const readIfThere: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** `/a/b` → `['/a/b', '/a', '/']`. */
function selfAndAncestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out: string[] = [];
  for (let n = parts.length; n >= 0; n--) out.push(`/${parts.slice(0, n).join('/')}`);
  return out;
}

function join(root: string, cgroupPath: string, file: string): string {
  return `${root}${cgroupPath === '/' ? '' : cgroupPath}/${file}`;
}

/** A quota in cores, or undefined for none (or unreadable). */
function v2Quota(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  return quota !== 'max' && q > 0 && p > 0 ? q / p : undefined;
}

function v1Quota(quotaText: string | undefined, periodText: string | undefined): number | undefined {
  const q = Number(quotaText?.trim());
  const p = Number(periodText?.trim());
  return q > 0 && p > 0 ? q / p : undefined;
}

/**
 * The tightest CPU quota over the process's cgroup and its ancestors, in cores; undefined when
 * none applies (or the machine has no cgroup CPU controller to read).
 */
export function cgroupCpuQuotaCores(read: ReadFile = readIfThere): number | undefined {
  const membership = read('/proc/self/cgroup');
  if (!membership) return undefined;
  const quotas: number[] = [];
  for (const line of membership.split('\n')) {
    const [, id, controllers = '', path = '/'] = /^(\d+):([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (id === undefined) continue;
    if (id === '0' && controllers === '') {
      // v2 (unified): mounted at /sys/fs/cgroup, or beside the v1 controllers as `unified`.
      const root =
        read('/sys/fs/cgroup/cgroup.controllers') !== undefined ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
      for (const dir of selfAndAncestors(path)) {
        const q = v2Quota(read(join(root, dir, 'cpu.max')));
        if (q !== undefined) quotas.push(q);
      }
    } else if (controllers.split(',').includes('cpu')) {
      for (const root of [`/sys/fs/cgroup/${controllers}`, '/sys/fs/cgroup/cpu']) {
        if (read(join(root, '/', 'cpu.cfs_period_us')) === undefined) continue;
        for (const dir of selfAndAncestors(path)) {
          const q = v1Quota(
            read(join(root, dir, 'cpu.cfs_quota_us')),
            read(join(root, dir, 'cpu.cfs_period_us')),
          );
          if (q !== undefined) quotas.push(q);
        }
        break;
      }
    }
  }
  return quotas.length > 0 ? Math.min(...quotas) : undefined;
}

/** What the `cpu` signal's 100 % stands for: one core, or the cgroup's quota when lower. */
export function cpuAllowanceCores(read: ReadFile = readIfThere): number {
  return Math.min(1, cgroupCpuQuotaCores(read) ?? 1);
}
