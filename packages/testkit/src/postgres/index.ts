/**
 * A throwaway PostgreSQL server for tests: the Debian `postgresql` package's binaries
 * (scripts/setup-postgres.sh installs them), a fresh data directory in the temp dir, a free loopback
 * port, trust authentication, fsync off. PostgreSQL refuses to run as root, so as root the server
 * runs as the `postgres` system user the package creates.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort } from '../livekit/ports.js';

const run = promisify(execFile);

export interface PostgresServer {
  /** postgres://callbridge@127.0.0.1:<port>/callbridge */
  url: string;
  port: number;
  /** A new empty database on this server (one per test suite keeps suites independent). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Where the server binaries are: POSTGRES_BIN_DIR, else the newest /usr/lib/postgresql/<v>/bin. */
export function findPostgresBinDir(): string | undefined {
  if (process.env.POSTGRES_BIN_DIR) return process.env.POSTGRES_BIN_DIR;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBinDir();
  if (!bin) {
    throw new Error(
      'PostgreSQL server binaries not found: run scripts/setup-postgres.sh (Debian: apt-get install postgresql) ' +
        'or set POSTGRES_BIN_DIR to the directory holding initdb and pg_ctl',
    );
  }
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const pg = statSync('/var/lib/postgresql', { throwIfNoEntry: false });
    if (!pg)
      throw new Error(
        'running as root but the postgres system user is missing: run scripts/setup-postgres.sh',
      );
    chownSync(dir, pg.uid, pg.gid);
  }
  // As root, every server command runs as the unprivileged postgres user.
  const exec = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  await exec('initdb', ['-D', data, '-U', 'callbridge', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  // A free port can be taken by another test process before the server binds it: try a few.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freeTcpPort();
    try {
      await exec('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        'start',
      ]);
      break;
    } catch (err) {
      if (attempt >= 3) {
        const log = readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000);
        throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`, { cause: err });
      }
    }
  }
  await exec('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'callbridge', 'callbridge']);
  let stopped = false;
  return {
    url: `postgres://callbridge@127.0.0.1:${port}/callbridge`,
    port,
    async createDatabase(name) {
      await exec('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'callbridge', name]);
      return `postgres://callbridge@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
