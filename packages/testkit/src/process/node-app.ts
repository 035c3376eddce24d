import { captureLog } from './log-capture.js';
import { spawn, type ChildProcess } from 'node:child_process';

export interface NodeApp {
  name: string;
  pid: number;
  /** Everything the process printed. */
  logs(): string;
  /** Its JSON log lines (pino), parsed. */
  entries(): Record<string, unknown>[];
  waitForLog(
    what: string,
    match: (entry: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  signal(sig: NodeJS.Signals): void;
  exited: Promise<number | null>;
  /** SIGTERM (or the given signal), SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs a TypeScript entry point as its own Node process (through tsx), the way it runs in
 * production, and keeps its logs for assertions. The process is killed if this one exits.
 */
export function startNodeApp(opts: {
  name: string;
  entry: string;
  args?: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Extra Node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
  /**
   * CPUs the process (and every thread it starts) may run on, as taskset takes them ('0', '1-3'):
   * benchmarks pin the process they measure to its own core.
   */
  cpus?: string;
  /**
   * Echo the app's output (for demos). By default the output is only kept (logs(), entries(), and
   * the tail in a failed waitForLog); with TEST_LOG_LEVEL set it is echoed to stderr, `[name] line`.
   */
  echo?: (line: string) => void;
}): NodeApp {
  const echo = opts.echo;
  // Without an explicit echo the output is kept for a failed test's report (and echoed with
  // TEST_LOG_LEVEL), like every app's log in the tests.
  const capture = echo ? undefined : captureLog(opts.name);
  // A TypeScript entry runs through tsx; a built one (.js, see `npm run build`) as plain Node.
  const loader = opts.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const nodeArgv = [...(opts.nodeArgs ?? []), ...loader, opts.entry, ...(opts.args ?? [])];
  // taskset execs node in place, so the child's pid is node's and every thread inherits the CPUs.
  const child = spawn(
    opts.cpus === undefined ? process.execPath : 'taskset',
    opts.cpus === undefined ? nodeArgv : ['-c', opts.cpus, process.execPath, ...nodeArgv],
    {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    },
  );
  running.add(child);
  let output = '';
  const parsed: Record<string, unknown>[] = [];
  let parsedUpTo = 0;
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    capture?.write(text);
    if (echo) for (const line of text.split('\n')) if (line) echo(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => {
    running.delete(child);
    capture?.close();
  });

  const entries = () => {
    const end = output.lastIndexOf('\n') + 1;
    if (end > parsedUpTo) {
      for (const line of output.slice(parsedUpTo, end).split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          parsed.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a partial or non-JSON line
        }
      }
      parsedUpTo = end;
    }
    return parsed;
  };

  return {
    name: opts.name,
    pid: child.pid ?? -1,
    logs: () => output,
    entries,
    async waitForLog(what, match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = entries().find(match);
        if (found) return found;
        if (child.exitCode !== null) {
          throw new Error(`${opts.name} exited (${child.exitCode}) before ${what}:\n${output.slice(-4000)}`);
        }
        if (Date.now() > deadline) {
          throw new Error(`${opts.name}: no ${what} within ${timeoutMs} ms:\n${output.slice(-4000)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    signal: (sig) => child.kill(sig),
    exited,
    async stop(signal = 'SIGTERM', graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
