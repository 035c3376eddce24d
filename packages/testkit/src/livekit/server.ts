import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPort } from './ports.js';
import { spawnServer } from '../process/server-process.js';

export interface LiveKitServer {
  /** WebSocket URL for SDK clients, e.g. ws://127.0.0.1:41234. */
  url: string;
  /** HTTP URL for server APIs (RoomService, AgentDispatch). */
  httpUrl: string;
  apiKey: string;
  apiSecret: string;
  port: number;
  /** All three ports, to start a replacement server on the same address. */
  ports: { http: number; tcp: number; udp: number };
  pid: number;
  /** Everything the server printed so far (stdout and stderr). */
  logs(): string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp files. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartLiveKitOptions {
  /** Path to the livekit-server binary; default $LIVEKIT_SERVER_BIN, then .tools/bin, then PATH. */
  binary?: string;
  /** Extra YAML appended to the generated config. */
  extraConfig?: string;
  /**
   * The only codecs rooms may use (`room.enabled_codecs`), e.g. `['audio/pcmu']` for a phone-only
   * deployment whose audio stays G.711; default: LiveKit's own list (Opus first).
   */
  audioCodecs?: string[];
  /** Milliseconds to wait for the server to answer. */
  readyTimeoutMs?: number;
  /** Fixed ports (e.g. to restart a server on the same address); default: free ports. */
  ports?: { http: number; tcp: number; udp: number };
  /** Fixed key pair (e.g. to restart with the same credentials); default: generated. */
  keys?: { apiKey: string; apiSecret: string };
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export function resolveLiveKitBinary(explicit?: string): string {
  const candidates = [
    explicit,
    process.env.LIVEKIT_SERVER_BIN,
    join(repoRoot, '.tools', 'bin', 'livekit-server'),
  ].filter((c): c is string => Boolean(c));
  for (const c of candidates) if (existsSync(c)) return c;
  return 'livekit-server';
}

/** Launches a real livekit-server on free loopback ports with a fresh key pair and waits until it answers. */
export async function startLiveKitServer(opts: StartLiveKitOptions = {}): Promise<LiveKitServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      // A port found free can be taken by another process before the server binds it; with ports
      // we chose ourselves, try again on fresh ones.
      if (opts.ports || attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(opts: StartLiveKitOptions): Promise<LiveKitServer> {
  const binary = resolveLiveKitBinary(opts.binary);
  const ports = opts.ports ?? {
    http: await freeTcpPort(),
    tcp: await freeTcpPort(),
    udp: await freeUdpPort(),
  };
  const apiKey = opts.keys?.apiKey ?? `API${randomBytes(6).toString('hex')}`;
  const apiSecret = opts.keys?.apiSecret ?? randomBytes(32).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-livekit-'));
  const configPath = join(dir, 'livekit.yaml');
  writeFileSync(
    configPath,
    [
      `port: ${ports.http}`,
      'bind_addresses: ["127.0.0.1"]',
      'rtc:',
      `  tcp_port: ${ports.tcp}`,
      `  udp_port: ${ports.udp}`,
      '  node_ip: 127.0.0.1',
      '  use_external_ip: false',
      // Without this, clients get LiveKit's default STUN host names; where there is no DNS (CI,
      // this sandbox) every participant spawns resolver threads that hang, which swamps a load test.
      // A STUN address on loopback that nobody answers costs nothing.
      `  stun_servers: ["127.0.0.1:${ports.udp}"]`,
      'keys:',
      `  ${apiKey}: ${apiSecret}`,
      'logging:',
      '  level: info',
      'room:',
      '  empty_timeout: 60',
      '  departure_timeout: 5',
      ...(opts.audioCodecs
        ? ['  enabled_codecs:', ...opts.audioCodecs.map((mime) => `    - mime: ${mime}`)]
        : []),
      opts.extraConfig ?? '',
    ].join('\n'),
  );

  const server = spawnServer(binary, ['--config', configPath], dir);
  const { child, stop } = server;

  const httpUrl = `http://127.0.0.1:${ports.http}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  for (;;) {
    const spawnError = server.spawnError();
    if (spawnError) {
      await stop();
      throw new Error(
        `could not start livekit-server (${binary}): ${spawnError.message}. Run "npm run setup -- --livekit" or set LIVEKIT_SERVER_BIN.`,
      );
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(
        `livekit-server exited with code ${child.exitCode} before answering:\n${server.output()}`,
      );
    }
    try {
      const res = await fetch(httpUrl, { signal: AbortSignal.timeout(500) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`livekit-server did not answer on ${httpUrl} in time:\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url: `ws://127.0.0.1:${ports.http}`,
    httpUrl,
    apiKey,
    apiSecret,
    port: ports.http,
    ports,
    pid: child.pid ?? -1,
    logs: server.output,
    stop,
  };
}
