import { lstatSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLsbReleaseGuard, skipLsbReleaseProbe } from './os-probe.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('skipLsbReleaseProbe', () => {
  it('puts a private directory whose lsb_release points at itself first on PATH', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin' };
    const dir = skipLsbReleaseProbe(env);
    expect(dir).toBeDefined();
    made.push(dir!);
    expect(env.PATH).toBe(`${dir}${delimiter}/usr/local/bin:/usr/bin`);
    expect(lstatSync(join(dir!, 'lsb_release')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir!, 'lsb_release'))).toBe('lsb_release');
    // Nobody else may write into a directory that comes first on the PATH.
    expect(statSync(dir!).mode & 0o077).toBe(0);
    expect(isLsbReleaseGuard(dir!)).toBe(true);
  });

  it('keeps the directory already first on PATH (a parent process made it)', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/usr/bin' };
    const dir = skipLsbReleaseProbe(env)!;
    made.push(dir);
    const child: NodeJS.ProcessEnv = { PATH: env.PATH };
    expect(skipLsbReleaseProbe(child)).toBe(dir);
    expect(child.PATH).toBe(env.PATH);
  });

  it('works with no PATH at all', () => {
    const env: NodeJS.ProcessEnv = {};
    const dir = skipLsbReleaseProbe(env)!;
    made.push(dir);
    expect(env.PATH).toBe(dir);
  });

  it('does not take an ordinary directory for its guard', () => {
    const plain = mkdtempSync(join(tmpdir(), 'os-probe-test-'));
    made.push(plain);
    expect(isLsbReleaseGuard(plain)).toBe(false);
    expect(isLsbReleaseGuard('/usr/bin')).toBe(false);
    const env: NodeJS.ProcessEnv = { PATH: `${plain}${delimiter}/usr/bin` };
    const dir = skipLsbReleaseProbe(env)!;
    made.push(dir);
    expect(dir).not.toBe(plain);
    expect(env.PATH?.startsWith(`${dir}${delimiter}${plain}`)).toBe(true);
  });
});
