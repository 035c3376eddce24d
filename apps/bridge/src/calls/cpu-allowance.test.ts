import { describe, expect, it } from 'vitest';
import { cgroupCpuQuotaCores, cpuAllowanceCores } from './cpu-allowance.js';

/** A fake file system: path → content; anything else is absent. */
const files = (entries: Record<string, string>) => (path: string) => entries[path];

describe('the CPU a bridge may use', () => {
  it('reads a cgroup v2 quota (cpu.max) and takes the tightest of the cgroup and its ancestors', () => {
    const read = files({
      '/proc/self/cgroup': '0::/kubepods/pod1/bridge\n',
      '/sys/fs/cgroup/cgroup.controllers': 'cpu memory',
      '/sys/fs/cgroup/kubepods/pod1/bridge/cpu.max': 'max 100000\n',
      '/sys/fs/cgroup/kubepods/pod1/cpu.max': '50000 100000\n',
      '/sys/fs/cgroup/kubepods/cpu.max': '400000 100000\n',
    });
    expect(cgroupCpuQuotaCores(read)).toBe(0.5);
    expect(cpuAllowanceCores(read)).toBe(0.5);
  });

  it('reads a cgroup v1 quota (cfs_quota_us over cfs_period_us) in a combined cpu,cpuacct hierarchy', () => {
    const read = files({
      '/proc/self/cgroup': '4:memory:/x\n3:cpu,cpuacct:/bench\n1:name=systemd:/\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1',
      '/sys/fs/cgroup/cpu,cpuacct/bench/cpu.cfs_period_us': '10000\n',
      '/sys/fs/cgroup/cpu,cpuacct/bench/cpu.cfs_quota_us': '2500\n',
    });
    expect(cgroupCpuQuotaCores(read)).toBe(0.25);
  });

  it('reads v2 mounted beside v1 (/sys/fs/cgroup/unified) too', () => {
    const read = files({
      '/proc/self/cgroup': '1:cpu:/\n0::/svc\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
      '/sys/fs/cgroup/unified/svc/cpu.max': '75000 100000',
    });
    expect(cgroupCpuQuotaCores(read)).toBe(0.75);
  });

  it('is one core with no quota, a quota above one core, or nothing to read', () => {
    expect(cgroupCpuQuotaCores(files({}))).toBeUndefined();
    expect(cpuAllowanceCores(files({}))).toBe(1);
    const noQuota = files({
      '/proc/self/cgroup': '1:cpu:/\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
    });
    expect(cgroupCpuQuotaCores(noQuota)).toBeUndefined();
    const fourCores = files({
      '/proc/self/cgroup': '0::/\n',
      '/sys/fs/cgroup/cgroup.controllers': 'cpu',
      '/sys/fs/cgroup/cpu.max': '400000 100000',
    });
    expect(cgroupCpuQuotaCores(fourCores)).toBe(4);
    expect(cpuAllowanceCores(fourCores)).toBe(1);
  });
});
