/**
 * A throwaway haproxy for tests (the Debian `haproxy` package; `npm test` installs it with
 * `scripts/bootstrap.mjs --haproxy`): runs a given config file in the foreground, its `"${VAR}"`
 * addresses filled from `env`, after `haproxy -c` has found the file valid with those values.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../process/server-process.js';

export interface HaproxyServer {
  /** The config check's own words (`Configuration file is valid`). */
  checked: string;
  pid: number;
  logs(): string;
  /** Stops it (SIGTERM, then SIGKILL). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartHaproxyOptions {
  configFile: string;
  /** The variables the config names, e.g. `{ CALLBRIDGE_BIND: '127.0.0.1:8080', ... }`. */
  env: Record<string, string>;
  /** A `host:port` the config binds: ready once it accepts connections. */
  listen: string;
  readyTimeoutMs?: number;
}

/** HAPROXY_BIN, else haproxy on PATH, else Debian's /usr/sbin/haproxy (not on a user's PATH). */
export function resolveHaproxyBinary(): string {
  const explicit = process.env.HAPROXY_BIN;
  if (explicit && existsSync(explicit)) return explicit;
  const onPath = spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' });
  if (onPath.status === 0) return onPath.stdout.trim();
  return existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';
}

function accepts(hostPort: string): Promise<boolean> {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), hostPort.split(':').pop()];
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startHaproxy(opts: StartHaproxyOptions): Promise<HaproxyServer> {
  const binary = resolveHaproxyBinary();
  const env = { ...process.env, ...opts.env };
  const check = spawnSync(binary, ['-c', '-f', opts.configFile], { encoding: 'utf8', env });
  if (check.error)
    throw new Error(
      `could not run haproxy (${binary}): ${check.error.message}. ` +
        'Run "node scripts/bootstrap.mjs --haproxy" (Debian: apt-get install haproxy) or set HAPROXY_BIN.',
    );
  const checked = `${check.stdout}${check.stderr}`.trim();
  if (check.status !== 0) throw new Error(`haproxy -c rejected ${opts.configFile}:\n${checked}`);

  // -db: foreground, no daemon; its working directory is a fresh temp dir.
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-haproxy-'));
  const server = spawnServer(binary, ['-db', '-f', opts.configFile], dir, opts.env);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
  for (;;) {
    const spawnError = server.spawnError();
    if (spawnError || server.child.exitCode !== null) {
      // Its last words arrive with 'close', after 'exit'.
      if (!spawnError) await new Promise((r) => setTimeout(r, 100));
      await server.stop();
      throw new Error(`haproxy did not start: ${spawnError?.message ?? ''}\n${server.output()}`);
    }
    if (await accepts(opts.listen)) break;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`haproxy did not listen on ${opts.listen} in time:\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { checked, pid: server.child.pid ?? -1, logs: server.output, stop: server.stop };
}
