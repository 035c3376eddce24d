import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Sqlite from 'node-sqlite3-wasm';
import type { SqlDriver, SqlExecutor, SqlRow, SqlValue } from './sql-driver.js';
import { SqliteStatements } from './sqlite-statements.js';

// A CommonJS package whose exports Node's ESM loader cannot see by name.
const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof Sqlite;

/**
 * Who holds the lock: the pid and, where /proc tells it, when that process started (a container
 * restarted after a crash reuses small pids: the start time tells a new process from the old owner).
 */
function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses, which may hold spaces): the 20th is the start.
    return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    try {
      process.kill(pid, 0); // no /proc: whether some process has this pid at all
      return `${pid}`;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? `${pid}` : undefined;
    }
  }
}

/**
 * This WebAssembly build locks a database by creating a `<file>.lock` directory and unlocks it by
 * removing it: with SQLite's default locking that was a lock and an unlock (two synchronous
 * file-system calls on the event loop) for every read and every commit, 2–4 ms of each Twilio
 * webhook on this kind of machine. SQLite serves one bridge process, so the file is locked from open
 * to close (`locking_mode=EXCLUSIVE`), and the lock directory names its owner: one left behind
 * by a process that died (a crash, `kill -9`) is removed here; one of a live process refuses the
 * open, saying what to do.
 */
function clearStaleLock(path: string): void {
  const lockDir = `${path}.lock`;
  if (!existsSync(lockDir)) return;
  let owner = '';
  try {
    owner = readFileSync(join(lockDir, 'owner'), 'utf8').trim();
  } catch {
    // no owner recorded: a lock left mid-commit by a process that died
  }
  const pid = Number(owner.split(' ')[0]);
  if (pid > 0 && pid !== process.pid && processIdentity(pid) === owner)
    throw new Error(
      `the SQLite file ${path} is in use by process ${pid}: SQLite serves one bridge process. ` +
        'Stop that process, give this one its own SQLITE_PATH, or set DATABASE_URL (PostgreSQL) to run several bridges.',
    );
  rmSync(lockDir, { recursive: true, force: true });
}

/**
 * SQLite through a WebAssembly build (node-sqlite3-wasm: nothing to compile or download at install
 * time) writing to a real file. Calls are synchronous, so writes are grouped: every write queued in
 * the same tick is committed in one transaction on the next one, which keeps the event loop (and
 * the 20 ms audio frames) free under load. `synchronous=OFF` hands each commit to the OS at once:
 * a crashed process loses nothing; only a power cut can (use PostgreSQL where that matters).
 */
export function openSqlite(path: string): SqlDriver {
  const onDisk = path !== ':memory:';
  if (onDisk) {
    mkdirSync(dirname(path), { recursive: true });
    clearStaleLock(path);
  }
  const db = new Database(path);
  // PERSIST keeps the rollback journal file and zeroes its header instead of deleting or truncating
  // it: the same crash safety, the least file-system work per commit (WAL needs shared memory).
  db.exec(
    'PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=PERSIST; PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON;',
  );
  const ownerFile = join(`${path}.lock`, 'owner');
  if (onDisk) {
    db.exec('BEGIN EXCLUSIVE; COMMIT'); // takes the lock, held until close
    writeFileSync(ownerFile, processIdentity(process.pid) ?? String(process.pid));
  }
  let pending: {
    sql: string;
    params: SqlValue[];
    resolve: (rows: SqlRow[]) => void;
    reject: (e: Error) => void;
  }[] = [];
  let scheduled = false;

  const statements = new SqliteStatements(db);
  const runNow = (sql: string, params: SqlValue[]): SqlRow[] => statements.all(sql, params);

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0 || !db.isOpen) return;
    if (db.inTransaction) {
      // A transaction() is awaiting inside BEGIN…COMMIT: try again once it is done.
      pending = batch.concat(pending);
      scheduled = true;
      setTimeout(flush, 1);
      return;
    }
    const results: { rows?: SqlRow[]; error?: Error }[] = [];
    db.exec('BEGIN');
    for (const w of batch) {
      try {
        results.push({ rows: runNow(w.sql, w.params) });
      } catch (err) {
        // One bad statement must not undo the others: it alone is reported.
        results.push({ error: err as Error });
      }
    }
    db.exec('COMMIT');
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r.error) w.reject(r.error);
      else w.resolve(r.rows ?? []);
    });
  };

  const executor: SqlExecutor = {
    query(sql, params = []) {
      if (/^\s*(SELECT|PRAGMA)/i.test(sql)) {
        flush(); // reads see every write queued before them
        try {
          return Promise.resolve(runNow(sql, params));
        } catch (err) {
          return Promise.reject(err as Error);
        }
      }
      return new Promise((resolve, reject) => {
        pending.push({ sql, params, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };

  let chain: Promise<unknown> = Promise.resolve();
  return {
    dialect: 'sqlite',
    query: executor.query,
    transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      // Statements inside run immediately (no batching) between BEGIN and COMMIT, one transaction at a time.
      const run = async () => {
        flush();
        const tx: SqlExecutor = { query: async (sql, params = []) => runNow(sql, params) };
        db.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(tx);
          db.exec('COMMIT');
          return out;
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      };
      const result = chain.then(run, run);
      chain = result.catch(() => undefined);
      return result;
    },
    // One bridge per SQLite file (the documented limit): its own code serialises what needs it.
    exclusive: (_lock, fn) => fn(),
    async close() {
      flush();
      // The lock directory must be empty for the unlock at close to remove it.
      if (onDisk) rmSync(ownerFile, { force: true });
      if (db.isOpen) {
        statements.clear();
        db.close();
      }
    },
  };
}
