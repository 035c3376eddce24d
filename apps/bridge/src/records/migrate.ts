/** Brings a database's schema up to date: the migrations it has not applied yet, in order. */
import { MIGRATIONS } from './migrations/index.js';
import type { SqlDriver } from './sql-driver.js';

/** Safe when several instances start at once: they take turns, and each version runs once. */
export async function applyMigrations(db: SqlDriver): Promise<void> {
  const idType = db.dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  await db.transaction(async (tx) => {
    // Instances starting together take turns; the loser then sees the versions already applied.
    if (db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(7301)');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const applied = new Set(
      (await tx.query('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
    );
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const sql of migration.sql) await tx.query(sql.replaceAll('{{ID}}', idType));
      await tx.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        migration.version,
        Date.now(),
      ]);
    }
  });
}
