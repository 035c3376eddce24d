/**
 * One schema migration: released once, never edited after, run once per database (the version is
 * recorded in `schema_migrations`). Its statements must work on SQLite and PostgreSQL; `{{ID}}` stands
 * for the auto-increment key of the dialect.
 */
export interface Migration {
  version: number;
  sql: string[];
}
