import {
  freeTcpPort,
  startLiveKitServer,
  type LiveKitServer,
  type StartLiveKitOptions,
} from '@callbridge/testkit/livekit';
import { TwilioSimulator, type InboundCallOptions, type SimulatedCall } from '@callbridge/testkit/twilio';
import { captureLog } from '@callbridge/testkit/process';
import { dispose } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../src/logger.js';
import { loadConfig, type BridgeConfig } from '../src/config.js';
import type { CallRooms } from '../src/livekit/call-rooms.js';
import { createBridge, type Bridge } from '../src/server.js';

export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';

export interface TestBridge {
  bridge: Bridge;
  publicUrl: string;
  voiceUrl: string;
  sim: TwilioSimulator;
  /** An inbound call to our number, with the status callback the console would configure. */
  placeCall(opts?: Partial<InboundCallOptions>): Promise<SimulatedCall>;
  close(): Promise<void>;
}

/** The real bridge, in this process, against a real livekit-server, with a Twilio simulator aimed at it. */
export async function startTestBridge(
  lk: LiveKitServer,
  env: Record<string, string> = {},
  opts: {
    /** Wrap or replace the LiveKit room service (e.g. to record dispatches). */
    rooms?: (config: BridgeConfig) => CallRooms;
    /** The account the simulated Twilio signs as. */
    accountSid?: string;
  } = {},
): Promise<TestBridge> {
  const port = await freeTcpPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    LIVEKIT_URL: lk.url,
    LIVEKIT_API_KEY: lk.apiKey,
    LIVEKIT_API_SECRET: lk.apiSecret,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? process.env.BRIDGE_LOG_LEVEL ?? 'info',
    // Call records in memory unless a test asks for a file or PostgreSQL.
    SQLITE_PATH: ':memory:',
    // Stand-in agents join once the call streams: answer at once unless a test is about the wait.
    ANSWER_WAIT_FOR_AGENT_S: '0',
    // This process also runs the simulators, stand-in agents and often several bridges, on a shared
    // machine: its loop lag and CPU are not one bridge's health. Tests about admission turn it on.
    ADMISSION_ADAPTIVE: 'false',
    ...env,
  });
  const logs = captureLog('bridge');
  const bridge = createBridge(config, {
    rooms: opts.rooms?.(config),
    // Kept in memory and printed under a failed test (testkit log capture), not on every run.
    log: createLogger(config.logLevel, logs),
  });
  await bridge.listen();
  const sim = new TwilioSimulator({ authToken: AUTH_TOKEN, accountSid: opts.accountSid });
  return {
    bridge,
    publicUrl,
    voiceUrl: `${publicUrl}/twilio/voice`,
    sim,
    placeCall: (opts = {}) =>
      sim.placeInboundCall({
        voiceUrl: `${publicUrl}/twilio/voice`,
        statusCallbackUrl: `${publicUrl}/twilio/status`,
        from: '+15551230001',
        to: '+15559870000',
        ...opts,
      }),
    async close() {
      await sim.hangupAll().catch(() => undefined);
      await bridge.close();
      logs.close();
    },
  };
}

/** The one testkit helper, re-exported because most bridge tests import their tools from here. */
export { waitFor } from '@callbridge/testkit/wait';

export async function metricValue(
  bridge: Bridge,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await bridge.metrics.registry.getSingleMetric(name)?.get();
  if (!metric) return 0;
  const want = Object.entries(labels);
  return metric.values
    .filter((v) => want.every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * A livekit-server and the bridge for the test file that calls this (at its top level): started
 * before its tests, stopped after them. Read the fields inside tests, not at import time.
 */
export function bridgeOnLiveKit(
  env: Record<string, string> = {},
  server: StartLiveKitOptions = {},
): {
  readonly lk: LiveKitServer;
  readonly tb: TestBridge;
  readonly rooms: RoomServiceClient;
} {
  let lk: LiveKitServer | undefined;
  let tb: TestBridge | undefined;
  let rooms: RoomServiceClient | undefined;
  beforeAll(async () => {
    lk = await startLiveKitServer(server);
    tb = await startTestBridge(lk, env);
    rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
  });
  afterAll(async () => {
    await tb?.close();
    await lk?.stop();
    await dispose();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('bridgeOnLiveKit: read its fields inside a test');
    return value;
  };
  return {
    get lk() {
      return started(lk);
    },
    get tb() {
      return started(tb);
    },
    get rooms() {
      return started(rooms);
    },
  };
}
