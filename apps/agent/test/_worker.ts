/**
 * Runs the real agent worker as its own OS process (`node --import tsx apps/agent/src/main.ts
 * start`), reads its JSON logs, and stops it, also when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(appDir, '../..');
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface WorkerProcess {
  pid: number;
  healthPort: number;
  logs(): string;
  /** Parsed JSON log lines (non-JSON lines are skipped). */
  entries(): Array<Record<string, unknown>>;
  waitForLog(
    what: string,
    match: (entry: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  signal(sig: NodeJS.Signals): void;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface WorkerEnv {
  livekit: { url: string; apiKey: string; apiSecret: string };
  openaiBaseUrl: string;
  agentName: string;
  extra?: Record<string, string>;
}

export async function startWorkerProcess(env: WorkerEnv): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(appDir, 'src/main.ts'), 'start'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LIVEKIT_URL: env.livekit.url,
      LIVEKIT_API_KEY: env.livekit.apiKey,
      LIVEKIT_API_SECRET: env.livekit.apiSecret,
      AGENT_NAME: env.agentName,
      OPENAI_API_KEY: 'sk-simulated',
      OPENAI_BASE_URL: env.openaiBaseUrl,
      HEALTH_HOST: '127.0.0.1',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
      ...env.extra,
    },
  });
  running.add(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  void exited.then(() => running.delete(child));

  const entries = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const waitForLog: WorkerProcess['waitForLog'] = async (what, match, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = entries().find(match);
      if (found) return found;
      if (child.exitCode !== null)
        throw new Error(`agent worker exited (${child.exitCode}) before ${what}:\n${output}`);
      if (Date.now() > deadline)
        throw new Error(`agent worker: no ${what} within ${timeoutMs} ms:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const listening = await waitForLog('health port', (e) => e.msg === 'health and metrics listening');
    await waitForLog('registration', (e) => e.msg === 'worker registered');
    return {
      pid: child.pid ?? -1,
      healthPort: Number(listening.port),
      logs: () => output,
      entries,
      waitForLog,
      signal: (sig) => child.kill(sig),
      exited,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The worker's recent log lines without the chatty rtc ones, to explain a failed test. */
export function logTail(worker: WorkerProcess | undefined, lines = 80): string {
  if (!worker) return '(no worker)';
  return worker
    .logs()
    .split('\n')
    .filter((l) => l && !l.includes('"lk-rtc"'))
    .slice(-lines)
    .map((l) => l.slice(0, 400))
    .join('\n');
}
