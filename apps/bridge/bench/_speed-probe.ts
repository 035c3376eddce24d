// How fast the bridge's core runs right now. This VM has no hardware performance counters (perf
// reports `instructions` as <not supported>), so the cost benchmark cannot count instructions; its
// CPU times move with the host's load (the same work took up to 2x longer). This probe, a separate
// process on the bridge's core, times a fixed piece of work (integer arithmetic with random access
// to a 256 KB table and to a 16 MB one: ALU, cache and memory, as the bridge's mix, whose threads
// slow down with other processes' cache traffic too) in its own CPU time every 200 ms and prints
// the ns it took. The benchmark divides the bridge's CPU time by the probe's time over the same
// window: work in "probe units". They follow the core's speed only in part (two runs 13 % apart in
// units, 16 % in CPU ms: docs/performance.md); the paired mode of cost.ts is the stable comparison.
import { spawn, type ChildProcess } from 'node:child_process';

const PROBE = `
const small = new Int32Array(65536);
const large = new Int32Array(4 * 1024 * 1024);
for (let i = 0; i < large.length; i++) large[i] = (i * 2654435761) | 0;
let x = 1, sink = 0;
function pass(table, mask, n) {
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const j = x & mask;
    table[j] = (table[j] + x) | 0;
    sink = (sink + table[(j + 1) & mask]) | 0;
  }
}
function unit() {
  pass(small, 65535, 150000);
  pass(large, 4194303, 50000);
}
for (let i = 0; i < 50; i++) unit(); // warm up the JIT
setInterval(() => {
  const t0 = process.cpuUsage();
  unit();
  const t = process.cpuUsage(t0);
  process.stdout.write((t.user + t.system) * 1000 + ' ' + Date.now() + ' ' + (sink & 1) + '\\n');
}, 200);
`;

export class SpeedProbe {
  private readonly samples: { at: number; ns: number }[] = [];
  private constructor(private readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const [ns, at] = buf.slice(0, i).split(' ').map(Number);
        buf = buf.slice(i + 1);
        // cpuUsage has µs resolution and a unit takes ~1 ms: a 0 is a tick artefact, not speed.
        if (ns && at) this.samples.push({ at: at!, ns: ns! });
      }
    });
  }

  /** Starts the probe, pinned to `cpus` (taskset's list) when given. */
  static start(cpus?: string): SpeedProbe {
    const node = [process.execPath, '--input-type=module', '-e', PROBE];
    const [cmd, ...args] = cpus ? ['taskset', '-c', cpus, ...node] : node;
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    process.once('exit', () => child.kill('SIGKILL'));
    return new SpeedProbe(child);
  }

  /** Median CPU ns of one probe unit between two epoch times (ms); undefined without samples. */
  unitNs(fromMs: number, toMs: number): number | undefined {
    const ns = this.samples
      .filter((s) => s.at >= fromMs && s.at <= toMs)
      .map((s) => s.ns)
      .sort((a, b) => a - b);
    return ns.length > 0 ? ns[Math.floor(ns.length / 2)] : undefined;
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}
