// The whole local stack on loopback, as real processes: livekit-server, the OpenAI Realtime
// simulator (unless a real OPENAI_API_KEY is given), agent worker(s), the bridge, and a Twilio
// simulator aimed at the bridge. Used by `npm run demo` and the end-to-end tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freeTcpPort,
  startLiveKitServer,
  type LiveKitServer,
  type StartLiveKitOptions,
} from '@callbridge/testkit/livekit';
import { startNodeApp, type NodeApp } from '@callbridge/testkit/process';
import {
  startRealtimeSimulator,
  type RealtimeScript,
  type RealtimeSimulator,
} from '@callbridge/testkit/realtime';
import { TwilioSimulator, type InboundCallOptions, type SimulatedCall } from '@callbridge/testkit/twilio';
import { appEntry, ensureAppsBuilt } from './build-apps.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Stack {
  livekit: LiveKitServer;
  /** Present unless the stack talks to the real OpenAI. */
  realtime?: RealtimeSimulator;
  workers: NodeApp[];
  bridge: NodeApp;
  bridgeUrl: string;
  twilio: TwilioSimulator;
  agentName: string;
  /** Starts one more agent worker (for scaling and failover tests). */
  addWorker(extraEnv?: Record<string, string>): Promise<NodeApp>;
  placeCall(opts?: Partial<InboundCallOptions>): Promise<SimulatedCall>;
  stop(): Promise<void>;
}

export interface StackOptions {
  workers?: number;
  script?: RealtimeScript;
  /** Use the real OpenAI Realtime API with this key instead of the simulator. */
  openaiApiKey?: string;
  bridgeEnv?: Record<string, string>;
  agentEnv?: Record<string, string>;
  /** livekit-server's options (e.g. `audioCodecs: ['audio/pcmu']` for G.711 rooms). */
  livekit?: StartLiveKitOptions;
  /** Print the apps' log lines as they come (demo). */
  echo?: (app: string, line: string) => void;
}

export const TWILIO_AUTH_TOKEN = 'local-stack-auth-token';

/** The last lines each app printed (without rtc-node's chatter), to explain a failure. */
export function appLogTail(stack: Pick<Stack, 'bridge' | 'workers'>, lines = 20): string {
  return [stack.bridge, ...stack.workers]
    .map((app) => {
      const tail = app
        .logs()
        .split('\n')
        .filter((l) => l && !l.includes('"lk-rtc"'))
        .slice(-lines)
        .map((l) => `  ${l.slice(0, 300)}`);
      return `last lines of ${app.name}:\n${tail.join('\n')}`;
    })
    .join('\n');
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const cleanup: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    // The apps run as built for production (plain JavaScript, no TypeScript loader).
    await ensureAppsBuilt();
    const livekit = await startLiveKitServer(opts.livekit);
    cleanup.push(() => livekit.stop());
    const realtime = opts.openaiApiKey ? undefined : await startRealtimeSimulator({ script: opts.script });
    if (realtime) cleanup.push(() => realtime.stop());
    const agentName = `callbridge-agent-${randomBytes(3).toString('hex')}`;
    const lkEnv = {
      LIVEKIT_URL: livekit.url,
      LIVEKIT_API_KEY: livekit.apiKey,
      LIVEKIT_API_SECRET: livekit.apiSecret,
    };

    const workers: NodeApp[] = [];
    const addWorker = async (extraEnv: Record<string, string> = {}) => {
      const worker = startNodeApp({
        name: `agent-${workers.length + 1}`,
        entry: appEntry('agent'),
        args: ['start'],
        cwd: repoRoot,
        echo: opts.echo ? (line) => opts.echo!(`agent-${workers.length}`, line) : undefined,
        env: {
          ...lkEnv,
          AGENT_NAME: agentName,
          OPENAI_API_KEY: opts.openaiApiKey ?? 'sk-local-simulator',
          OPENAI_BASE_URL: realtime?.baseUrl,
          HEALTH_HOST: '127.0.0.1',
          HEALTH_PORT: '0',
          LOG_LEVEL: 'info',
          // The example business tool: off in a deployment unless named, on in the demo and tests.
          AGENT_TOOLS: 'check_eligibility',
          ...opts.agentEnv,
          ...extraEnv,
        },
      });
      workers.push(worker);
      cleanup.push(() => worker.stop('SIGINT'));
      await worker.waitForLog('worker registration', (e) => e.msg === 'worker registered', 60_000);
      return worker;
    };

    const port = await freeTcpPort();
    const bridgeUrl = `http://127.0.0.1:${port}`;
    const bridge = startNodeApp({
      name: 'bridge',
      entry: appEntry('bridge'),
      cwd: repoRoot,
      echo: opts.echo ? (line) => opts.echo!('bridge', line) : undefined,
      env: {
        ...lkEnv,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: bridgeUrl,
        AGENT_NAME: agentName,
        TWILIO_AUTH_TOKEN,
        // Each stack its own call records: stacks run side by side in tests.
        SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'callbridge-stack-')), 'calls.sqlite'),
        LOG_LEVEL: 'info',
        NODE_ENV: 'development',
        // Stacks run side by side on shared test machines: a bridge refusing calls because the
        // machine is busy would fail tests about something else. Admission has its own test
        // (apps/bridge/test/admission.test.ts); a stack that wants it passes ADMISSION_ADAPTIVE.
        ADMISSION_ADAPTIVE: 'false',
        ...opts.bridgeEnv,
      },
    });
    cleanup.push(() => bridge.stop('SIGINT'));
    await bridge.waitForLog('bridge listening', (e) => e.msg === 'bridge listening', 30_000);

    for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker();

    const twilio = new TwilioSimulator({ authToken: TWILIO_AUTH_TOKEN });
    cleanup.push(async () => void (await twilio.hangupAll()));
    return {
      livekit,
      realtime,
      workers,
      bridge,
      bridgeUrl,
      twilio,
      agentName,
      addWorker,
      placeCall: (call = {}) =>
        twilio.placeInboundCall({
          voiceUrl: `${bridgeUrl}/twilio/voice`,
          statusCallbackUrl: `${bridgeUrl}/twilio/status`,
          from: '+15551234567',
          to: '+15557654321',
          ...call,
        }),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
