/**
 * A throwaway redis-server for tests (the Debian `redis-server` package; `npm test` installs it
 * with `scripts/bootstrap.mjs --redis`): a free loopback port, no persistence (no RDB, no AOF), its
 * working directory in the temp dir, stopped with the test.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../livekit/ports.js';
import { redisCommand, type RedisReply } from './resp.js';
import { spawnServer } from '../process/server-process.js';

export interface RedisServer {
  /** host:port, as livekit-server's `redis: address:` wants it. */
  address: string;
  port: number;
  pid: number;
  /** One command over a fresh connection, e.g. `command('HGETALL', 'room_node_map')`. */
  command(...args: string[]): Promise<RedisReply>;
  logs(): string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** REDIS_SERVER_BIN, else redis-server on PATH (Debian puts it in /usr/bin). */
export function resolveRedisBinary(): string {
  const explicit = process.env.REDIS_SERVER_BIN;
  if (explicit && existsSync(explicit)) return explicit;
  return 'redis-server';
}

export async function startRedis(opts: { readyTimeoutMs?: number } = {}): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts.readyTimeoutMs ?? 10_000);
    } catch (err) {
      // A port found free can be taken before the server binds it: try fresh ones.
      if (attempt >= 3 || !/Address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(readyTimeoutMs: number): Promise<RedisServer> {
  const binary = resolveRedisBinary();
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-redis-'));
  // Everything on the command line: no config file, no snapshots, no append-only file.
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--loglevel',
    'notice',
  ];
  const server = spawnServer(binary, args, dir);
  const { child, stop } = server;

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const spawnError = server.spawnError();
    if (spawnError) {
      await stop();
      throw new Error(
        `could not start redis-server (${binary}): ${spawnError.message}. ` +
          'Run "node scripts/bootstrap.mjs --redis" (Debian: apt-get install redis-server) or set REDIS_SERVER_BIN.',
      );
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(
        `redis-server exited with code ${child.exitCode} before answering:\n${server.output()}`,
      );
    }
    try {
      if ((await redisCommand(port, ['PING'])) === 'PONG') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on 127.0.0.1:${port} in time:\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    address: `127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    command: (...cmd) => redisCommand(port, cmd),
    logs: server.output,
    stop,
  };
}
