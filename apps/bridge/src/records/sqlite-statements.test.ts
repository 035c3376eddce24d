import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Sqlite from 'node-sqlite3-wasm';
import { describe, expect, it } from 'vitest';
import { openSqlite } from './sqlite-driver.js';
import { SqliteStatements } from './sqlite-statements.js';

const { Database } = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof Sqlite;

describe('kept SQLite statements', () => {
  it('answer each use with its own parameters', async () => {
    const db = openSqlite(':memory:');
    await db.query('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
    for (let i = 0; i < 5; i++) await db.query('INSERT INTO t (k, v) VALUES ($1, $2)', [`k${i}`, i]);
    for (let i = 4; i >= 0; i--)
      expect(await db.query('SELECT v FROM t WHERE k = $1', [`k${i}`])).toEqual([{ v: i }]);
    expect(await db.query('SELECT v FROM t WHERE k = $1', ['none'])).toEqual([]);
    await db.close();
  });

  it('work again right after one of them failed', async () => {
    const db = openSqlite(':memory:');
    await db.query('CREATE TABLE t (k TEXT PRIMARY KEY)');
    const insert = 'INSERT INTO t (k) VALUES ($1)';
    await db.query(insert, ['a']);
    await expect(db.query(insert, ['a'])).rejects.toThrow(/UNIQUE/);
    await db.query(insert, ['b']);
    expect(await db.query('SELECT k FROM t ORDER BY k')).toEqual([{ k: 'a' }, { k: 'b' }]);
    await db.close();
  });

  it('follow a schema that changed after they were compiled', async () => {
    const db = openSqlite(':memory:');
    await db.query('CREATE TABLE t (a INTEGER)');
    await db.query('INSERT INTO t (a) VALUES (1)');
    expect(await db.query('SELECT * FROM t')).toEqual([{ a: 1 }]);
    await db.query('ALTER TABLE t ADD COLUMN b TEXT');
    expect(await db.query('SELECT * FROM t')).toEqual([{ a: 1, b: null }]);
    await db.close();
  });

  it('keep at most their capacity, dropping the least recently used, and finalise every one', async () => {
    const db = new Database(':memory:');
    const statements = new SqliteStatements(db, 2);
    statements.all('CREATE TABLE t (v INTEGER)', []);
    statements.all('INSERT INTO t (v) VALUES ($1)', [1]);
    for (let i = 0; i < 10; i++)
      expect(statements.all(`SELECT v + ${i} AS w FROM t`, [])).toEqual([{ w: 1 + i }]);
    statements.all('INSERT INTO t (v) VALUES ($1)', [2]);
    expect(statements.all('SELECT count(*) AS n FROM t', [])).toEqual([{ n: 2 }]);
    statements.clear();
    db.close();
    expect(() => new SqliteStatements(new Database(':memory:'), 0)).toThrow(RangeError);

    // On a file: a statement left unfinalised keeps the connection (and its lock) alive after close.
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-statements-'));
    try {
      const path = join(dir, 'calls.sqlite');
      const store = openSqlite(path);
      await store.query('CREATE TABLE t (v INTEGER)');
      for (let i = 0; i < 100; i++) await store.query(`SELECT ${i} AS i FROM t`);
      await store.query('INSERT INTO t (v) VALUES ($1)', [1]);
      await store.close();
      expect(existsSync(`${path}.lock`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
