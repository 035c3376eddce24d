/** The little a call store needs from a SQL database; one implementation per backend. */
export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  /** Runs a statement written with `$1, $2, …` placeholders; resolves with the rows it returned. */
  query(sql: string, params?: SqlValue[]): Promise<SqlRow[]>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction (serialised with other writers of this database). */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding the named lock for every process sharing this database (PostgreSQL:
   * an advisory lock; SQLite: one process only, so `fn` just runs). `fn` may do I/O elsewhere.
   */
  exclusive<T>(lock: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
