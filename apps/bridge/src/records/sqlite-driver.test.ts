import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from './sqlite-driver.js';

describe('the SQLite driver’s lock on its file', () => {
  let dir: string;
  let path: string;
  const lockDir = () => `${path}.lock`;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-lock-'));
    path = join(dir, 'calls.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function writeAndRead(): Promise<unknown[]> {
    const db = openSqlite(path);
    await db.query('CREATE TABLE IF NOT EXISTS t (v INTEGER)');
    await db.query('INSERT INTO t (v) VALUES ($1)', [1]);
    const rows = await db.query('SELECT v FROM t');
    await db.close();
    return rows;
  }

  it('holds the file from open to close under its owner’s pid, and leaves nothing behind', async () => {
    const db = openSqlite(path);
    await db.query('CREATE TABLE t (v INTEGER)');
    await db.query('INSERT INTO t (v) VALUES (1)');
    expect(readFileSync(join(lockDir(), 'owner'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
    await db.close();
    expect(existsSync(lockDir())).toBe(false);
    expect(await writeAndRead()).toEqual([{ v: 1 }, { v: 1 }]);
  });

  it('takes over a lock left by a process that died (its pid gone or now another process’s), or mid-commit', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    mkdirSync(lockDir());
    writeFileSync(join(lockDir(), 'owner'), `${dead} 1234`);
    expect(await writeAndRead()).toEqual([{ v: 1 }]);
    // A live process with the old owner's pid, started later (a container restarted after a crash).
    mkdirSync(lockDir());
    writeFileSync(join(lockDir(), 'owner'), `${process.ppid} 1`);
    expect(await writeAndRead()).toEqual([{ v: 1 }, { v: 1 }]);
    mkdirSync(lockDir()); // no owner recorded
    expect(await writeAndRead()).toEqual([{ v: 1 }, { v: 1 }, { v: 1 }]);
  });

  it('refuses a file a live process holds, and says what to do', () => {
    const parent = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const started = parent.slice(parent.lastIndexOf(')') + 2).split(' ')[19];
    mkdirSync(lockDir());
    writeFileSync(join(lockDir(), 'owner'), `${process.ppid} ${started}`);
    expect(() => openSqlite(path)).toThrow(
      new RegExp(`in use by process ${process.ppid}.*own SQLITE_PATH.*DATABASE_URL`),
    );
    expect(existsSync(join(lockDir(), 'owner'))).toBe(true);
  });
});
