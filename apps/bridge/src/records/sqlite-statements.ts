import type * as Sqlite from 'node-sqlite3-wasm';
import type { SqlRow, SqlValue } from './sql-driver.js';

type Database = InstanceType<typeof Sqlite.Database>;
type Statement = ReturnType<Database['prepare']>;

/** SQLite numbers its placeholders `?1, ?2`; the stores write PostgreSQL's `$1, $2`. */
function toSqlite(sql: string): string {
  return sql.replace(/\$(\d+)/g, '?$1');
}

/** Statements that change the schema (the migrations at open): never kept. */
const SCHEMA_CHANGE = /^\s*(CREATE|ALTER|DROP)\b/i;

/** Finalising returns (and this driver throws) the statement's last error, already reported. */
function finalizeQuietly(statement: Statement): void {
  try {
    statement.finalize();
  } catch {
    // reported when it happened
  }
}

/**
 * The call store's statements, each compiled once. Compiling a statement is most of what a query
 * costs in this WebAssembly SQLite (a V8 profile of a bridge taking calls: 156 ms preparing against
 * 118 ms running them), and the stores send the same few statements again and again, so each is
 * kept prepared and reset and re-bound per use (the driver's `all` resets before binding).
 * A statement here always runs to completion, so a kept one never holds a transaction open. At most
 * `capacity` are kept (the least recently used is finalised): the stores build a few of their
 * statements from the fields they set.
 */
export class SqliteStatements {
  private readonly kept = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly capacity = 64,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a whole number ≥ 1, not ${capacity}`);
  }

  all(sql: string, params: SqlValue[]): SqlRow[] {
    if (SCHEMA_CHANGE.test(sql)) {
      // A kept `SELECT *` would go on naming the columns it was compiled with (SQLite recompiles it
      // at its next step, after this driver has read the names): schema changes start afresh.
      this.clear();
      return this.db.all(toSqlite(sql), params) as SqlRow[];
    }
    const statement = this.statement(sql);
    try {
      return statement.all(params) as SqlRow[];
    } catch (err) {
      // SQLite reports a failed step again at the next reset, which would fail the next use of
      // this statement too: a statement that failed is dropped, and compiled afresh next time.
      this.kept.delete(sql);
      finalizeQuietly(statement);
      throw err;
    }
  }

  /** Finalises every kept statement (before the database closes). */
  clear(): void {
    for (const statement of this.kept.values()) finalizeQuietly(statement);
    this.kept.clear();
  }

  private statement(sql: string): Statement {
    const found = this.kept.get(sql);
    if (found) {
      // Most recently used last, so the first in the map is the one to drop.
      this.kept.delete(sql);
      this.kept.set(sql, found);
      return found;
    }
    const statement = this.db.prepare(toSqlite(sql));
    this.kept.set(sql, statement);
    if (this.kept.size > this.capacity) {
      const [oldestSql, oldest] = this.kept.entries().next().value as [string, Statement];
      this.kept.delete(oldestSql);
      finalizeQuietly(oldest);
    }
    return statement;
  }
}
