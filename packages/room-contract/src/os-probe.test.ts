import { chmodSync, lstatSync, mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLsbReleaseGuard, lsbReleaseGuardDir, skipLsbReleaseProbe } from './os-probe.js';

describe.runIf(process.platform === 'linux')('skipLsbReleaseProbe', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'os-probe-test-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('puts a directory of its own, whose lsb_release points at itself, first on PATH', () => {
    const env: NodeJS.ProcessEnv = { XDG_CACHE_HOME: cache, PATH: '/usr/local/bin:/usr/bin' };
    const dir = skipLsbReleaseProbe(env);
    expect(dir).toBe(join(cache, 'callbridge', 'no-lsb-release'));
    expect(dir).toBe(lsbReleaseGuardDir(env));
    expect(env.PATH).toBe(`${dir}${delimiter}/usr/local/bin:/usr/bin`);
    expect(lstatSync(join(dir!, 'lsb_release')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir!, 'lsb_release'))).toBe('lsb_release');
    // Nobody else may write into a directory that comes first on the PATH.
    expect(statSync(dir!).mode & 0o077).toBe(0);
    expect(isLsbReleaseGuard(dir!)).toBe(true);
  });

  it('keeps the guard already first on PATH (a parent process put it there), and reuses the directory', () => {
    const env: NodeJS.ProcessEnv = { XDG_CACHE_HOME: cache, PATH: '/usr/bin' };
    const dir = skipLsbReleaseProbe(env)!;
    const child: NodeJS.ProcessEnv = { ...env };
    expect(skipLsbReleaseProbe(child)).toBe(dir);
    expect(child.PATH).toBe(env.PATH);
    // Another process of the user, started without it: the same directory, made once.
    const other: NodeJS.ProcessEnv = { XDG_CACHE_HOME: cache, PATH: '/usr/bin' };
    expect(skipLsbReleaseProbe(other)).toBe(dir);
    expect(other.PATH).toBe(`${dir}${delimiter}/usr/bin`);
  });

  it('keeps the C library’s default search after the guard when PATH is unset', () => {
    const env: NodeJS.ProcessEnv = { XDG_CACHE_HOME: cache };
    const dir = skipLsbReleaseProbe(env)!;
    expect(env.PATH).toBe(`${dir}${delimiter}/usr/local/bin:/usr/bin:/bin`);
  });

  it('leaves PATH alone when the directory is writable by others or cannot be made', () => {
    const env: NodeJS.ProcessEnv = { XDG_CACHE_HOME: cache, PATH: '/usr/bin' };
    const dir = skipLsbReleaseProbe({ ...env })!;
    chmodSync(dir, 0o777);
    expect(isLsbReleaseGuard(dir)).toBe(false);
    expect(skipLsbReleaseProbe(env)).toBeUndefined();
    expect(env.PATH).toBe('/usr/bin');

    const file = join(cache, 'not-a-directory');
    writeFileSync(file, '');
    const blocked: NodeJS.ProcessEnv = { XDG_CACHE_HOME: file, PATH: '/usr/bin' };
    expect(skipLsbReleaseProbe(blocked)).toBeUndefined();
    expect(blocked.PATH).toBe('/usr/bin');
  });

  it('does not take an ordinary directory for a guard', () => {
    expect(isLsbReleaseGuard(cache)).toBe(false);
    expect(isLsbReleaseGuard('/usr/bin')).toBe(false);
    expect(isLsbReleaseGuard(join(cache, 'missing'))).toBe(false);
  });
});
