import { SqlCallStore, type CallStore } from './call-store.js';
import { openPostgres } from './postgres-driver.js';
import { openSqlite } from './sqlite-driver.js';

/** `DATABASE_URL` (postgres://…) selects PostgreSQL; otherwise the SQLite file at `sqlitePath`. */
export async function openCallStore(opts: { databaseUrl?: string; sqlitePath: string }): Promise<CallStore> {
  const driver = opts.databaseUrl ? openPostgres(opts.databaseUrl) : openSqlite(opts.sqlitePath);
  try {
    return await SqlCallStore.open(driver);
  } catch (err) {
    await driver.close().catch(() => undefined);
    const where = opts.databaseUrl
      ? 'the PostgreSQL database in DATABASE_URL'
      : `the SQLite file ${opts.sqlitePath}`;
    throw new Error(`cannot open call records in ${where}: ${(err as Error).message}`, { cause: err });
  }
}
