import pg from 'pg';
import type { SqlDriver, SqlExecutor, SqlRow } from './sql-driver.js';

// BIGINT columns hold epoch milliseconds, well inside Number's exact range: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** PostgreSQL through a `pg` pool: several bridge instances can share one database. */
export function openPostgres(connectionString: string): SqlDriver {
  const pool = new pg.Pool({ connectionString, max: 5 });
  // An idle client losing its connection must not crash the bridge; the pool replaces it.
  pool.on('error', () => undefined);
  return {
    dialect: 'postgres',
    async query(sql, params = []) {
      return (await pool.query(sql, params)).rows as SqlRow[];
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: SqlExecutor = { query: async (sql, params = []) => (await client.query(sql, params)).rows };
        const out = await fn(tx);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async exclusive(lock, fn) {
      // A session-level advisory lock on its own connection: held across `fn`'s awaits (a Twilio
      // request, say), released even if `fn` throws; other instances wait their turn.
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
        }
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
