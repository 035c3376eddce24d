/**
 * The scale-out layout on loopback, every part a real process: haproxy (examples/haproxy-
 * callbridge.cfg, round-robin) in front of two bridges sharing a PostgreSQL, two livekit-server
 * nodes sharing a redis-server, three agent workers on the Realtime simulator, a Twilio REST
 * simulator for outbound calls. Bridge i and worker i talk to LiveKit node i % 2: bridge A and
 * workers 1 and 3 to node 1, bridge B and worker 2 to node 2.
 */
import { join } from 'node:path';
import { startHaproxy, type HaproxyServer } from '@callbridge/testkit/haproxy';
import { freeTcpPort, startLiveKitCluster, type LiveKitCluster } from '@callbridge/testkit/livekit';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { startNodeApp, type NodeApp } from '@callbridge/testkit/process';
import {
  startRealtimeSimulator,
  type RealtimeScript,
  type RealtimeSimulator,
} from '@callbridge/testkit/realtime';
import { TwilioRestSimulator, TwilioSimulator, type SimulatedCall } from '@callbridge/testkit/twilio';
import { appEntry, ensureAppsBuilt } from '../scripts/lib/build-apps.js';
import { repoRoot } from '../scripts/lib/stack.js';

export const AUTH_TOKEN = 'scale-out-auth-token';
export const API_KEY = 'scale-out-api-key-0123456789abcdef';
export const OUR_NUMBER = '+15559870000';
export const AGENT_LOST_MESSAGE = 'Sorry, our assistant is having technical trouble. Goodbye.';
export const HAPROXY_EXAMPLE = join(repoRoot, 'examples', 'haproxy-callbridge.cfg');

export interface ScaleOut {
  cluster: LiveKitCluster;
  pg: PostgresServer;
  realtime: RealtimeSimulator;
  rest: TwilioRestSimulator;
  bridges: NodeApp[];
  workers: NodeApp[];
  haproxy: HaproxyServer;
  /** The balancer's address: every bridge's PUBLIC_URL, what Twilio signs and calls. */
  url: string;
  twilio: TwilioSimulator;
  placeCall(from: string): Promise<SimulatedCall>;
  /** The bridge API through the balancer. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

export interface ScaleOutOptions {
  script: RealtimeScript;
  bridgeEnv: Record<string, string>;
}

export async function startScaleOut(opts: ScaleOutOptions): Promise<ScaleOut> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    const [cluster, pg, realtime, rest] = await Promise.all([
      startLiveKitCluster({ nodes: 2 }),
      startPostgres(),
      startRealtimeSimulator({ script: opts.script }),
      new TwilioRestSimulator({
        authToken: AUTH_TOKEN,
        callees: () => ({ outcome: 'failed' }),
        ownedNumbers: [OUR_NUMBER],
      }).start(),
      ensureAppsBuilt(),
    ]);
    cleanup.push(
      () => cluster.stop(),
      () => pg.stop(),
      () => realtime.stop(),
      () => rest.close(),
    );
    const databaseUrl = await pg.createDatabase('scaleout');
    const lkEnv = (node: number) => ({
      LIVEKIT_URL: cluster.nodes[node]!.url,
      LIVEKIT_API_KEY: cluster.apiKey,
      LIVEKIT_API_SECRET: cluster.apiSecret,
    });
    const agentName = 'scale-out-agent';
    const ports = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    const url = `http://127.0.0.1:${ports[2]}`;

    const bridges = ['a', 'b'].map((id, i) => {
      const bridge = startNodeApp({
        name: `bridge-${id}`,
        entry: appEntry('bridge'),
        cwd: repoRoot,
        env: {
          ...lkEnv(i),
          HOST: '127.0.0.1',
          PORT: String(ports[i]),
          PUBLIC_URL: url,
          AGENT_NAME: agentName,
          TWILIO_AUTH_TOKEN: AUTH_TOKEN,
          DATABASE_URL: databaseUrl,
          STREAM_TOKEN_SECRET: 'scale-out-stream-token-secret-0123456789',
          BRIDGE_INSTANCE_ID: `bridge-${id}`,
          TWILIO_ACCOUNT_SID: rest.accountSid,
          TWILIO_API_BASE_URL: rest.baseUrl,
          API_KEY,
          OUTBOUND_FROM: OUR_NUMBER,
          AGENT_LOST_MESSAGE,
          LOG_LEVEL: 'info',
          NODE_ENV: 'development',
          // Shared test machines: admission has its own test (see scripts/lib/stack.ts).
          ADMISSION_ADAPTIVE: 'false',
          ...opts.bridgeEnv,
        },
      });
      cleanup.push(() => bridge.stop('SIGINT'));
      return bridge;
    });
    await Promise.all(
      bridges.map((b) => b.waitForLog('bridge listening', (e) => e.msg === 'bridge listening', 30_000)),
    );

    const workers: NodeApp[] = [];
    for (let i = 0; i < 3; i++) {
      const worker = startNodeApp({
        name: `agent-${i + 1}`,
        entry: appEntry('agent'),
        args: ['start'],
        cwd: repoRoot,
        env: {
          ...lkEnv(i % 2),
          AGENT_NAME: agentName,
          OPENAI_API_KEY: 'sk-local-simulator',
          OPENAI_BASE_URL: realtime.baseUrl,
          HEALTH_HOST: '127.0.0.1',
          HEALTH_PORT: '0',
          LOG_LEVEL: 'info',
          SILENCE_REPROMPT_S: '0',
          // When a worker dies its calls come back to the survivor all at once, and beyond its warm
          // call processes LiveKit Agents starts one process at a time (ProcPool's initMutex: 5–7 s
          // each on this box under the stack's load), so the 4th of 4 orphaned calls waited 21 s
          // with one warm process and got the apology. Sized for a wave of 5 calls, as a deployment
          // sizes it for the calls one worker carries (docs/scaling.md).
          AGENT_IDLE_PROCESSES: '3',
        },
      });
      workers.push(worker);
      cleanup.push(() => worker.stop('SIGINT', 5000));
    }
    await Promise.all(
      workers.map((w) => w.waitForLog('worker registration', (e) => e.msg === 'worker registered', 60_000)),
    );

    const haproxy = await startHaproxy({
      configFile: HAPROXY_EXAMPLE,
      env: {
        CALLBRIDGE_BIND: `127.0.0.1:${ports[2]}`,
        BRIDGE_A: `127.0.0.1:${ports[0]}`,
        BRIDGE_B: `127.0.0.1:${ports[1]}`,
      },
      listen: `127.0.0.1:${ports[2]}`,
    });
    cleanup.push(() => haproxy.stop());

    const twilio = new TwilioSimulator({ authToken: AUTH_TOKEN, accountSid: rest.accountSid });
    cleanup.push(async () => void (await twilio.hangupAll()));
    return {
      cluster,
      pg,
      realtime,
      rest,
      bridges,
      workers,
      haproxy,
      url,
      twilio,
      placeCall: (from) =>
        twilio.placeInboundCall({
          voiceUrl: `${url}/twilio/voice`,
          statusCallbackUrl: `${url}/twilio/status`,
          from,
          to: OUR_NUMBER,
        }),
      async api(method, path, body) {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${API_KEY}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : null };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
