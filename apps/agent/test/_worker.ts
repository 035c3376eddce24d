/**
 * Runs the real agent worker as its own OS process, built as in production (`node
 * apps/agent/dist/main.js start`, built once per test file from today's sources), reads its JSON
 * logs, and stops it, also when a test fails.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeApp, type NodeApp } from '@callbridge/testkit/process';
import { appEntry, ensureAppsBuilt } from '../../../scripts/lib/build-apps.js';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(appDir, '../..');

export interface WorkerProcess extends Omit<NodeApp, 'stop' | 'name'> {
  healthPort: number;
  stop(): Promise<void>;
}

export interface WorkerEnv {
  livekit: { url: string; apiKey: string; apiSecret: string };
  openaiBaseUrl: string;
  agentName: string;
  extra?: Record<string, string>;
}

export async function startWorkerProcess(env: WorkerEnv): Promise<WorkerProcess> {
  await ensureAppsBuilt();
  const app = startNodeApp({
    name: 'agent worker',
    entry: appEntry('agent'),
    args: ['start'],
    cwd: repoRoot,
    env: {
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
  const stop = () => app.stop('SIGINT');
  try {
    const listening = await app.waitForLog('health port', (e) => e.msg === 'health and metrics listening');
    await app.waitForLog('registration', (e) => e.msg === 'worker registered');
    return { ...app, healthPort: Number(listening.port), stop };
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
