import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startNodeApp, type NodeApp } from '@callbridge/testkit/process';

export interface BridgeProcess {
  app: NodeApp;
  publicUrl: string;
  health(): Promise<{ active_calls: number }>;
}

/** The bridge as its own process on a free loopback port (benchmarks measure that process). */
export async function startBridgeProcess(opts: {
  lk: LiveKitServer;
  authToken: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Its entry point: this checkout's apps/bridge/src/main.ts unless set (another version, to compare). */
  entry?: string;
  /** CPUs to pin the bridge to (taskset's list syntax); unpinned when absent. */
  cpus?: string;
}): Promise<BridgeProcess> {
  const port = await freeTcpPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const app = startNodeApp({
    name: 'bridge',
    entry: opts.entry ?? join(import.meta.dirname, '../src/main.ts'),
    nodeArgs: opts.nodeArgs,
    cpus: opts.cpus,
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      LIVEKIT_URL: opts.lk.url,
      LIVEKIT_API_KEY: opts.lk.apiKey,
      LIVEKIT_API_SECRET: opts.lk.apiSecret,
      TWILIO_AUTH_TOKEN: opts.authToken,
      LOG_LEVEL: 'warn',
      // No agent worker in the benches (an echo joins once the call is up): waiting for one at the
      // answer only held every call 2 s (the soak's pace; the overload ramp's real rate).
      ANSWER_WAIT_FOR_AGENT_S: '0',
      // Each bridge its own call records (bench:cost runs two side by side; SQLite serves one).
      SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'callbridge-bench-')), 'calls.sqlite'),
      // As in the bridge's Dockerfile.
      MALLOC_ARENA_MAX: '2',
      // Benchmarks measure the bridge, not its admission (bench:calls --overload turns it on).
      ADMISSION_ADAPTIVE: 'false',
      ...opts.env,
    },
  });
  const health = async () => (await (await fetch(`${publicUrl}/health`)).json()) as { active_calls: number };
  for (let i = 0; ; i++) {
    try {
      await health();
      break;
    } catch {
      if (i > 300) throw new Error(`bridge did not start:\n${app.logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { app, publicUrl, health };
}
