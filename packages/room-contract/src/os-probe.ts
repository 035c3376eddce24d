/**
 * LiveKit's native SDK (rtc-node's FFI, so the bridge, LiveKit Agents' call processes and the
 * testkit's participants) describes the host in its signalling URL on every room connect, through
 * the `os_info` crate; on Linux `os_info` first runs `lsb_release -a` as a subprocess and reads
 * `/etc/os-release` itself only when that command cannot be started. Debian's `lsb_release` is a
 * shell script that forks `tr` and `cut`: measured here, 45 ms of wall time added to every connect
 * (a tokio worker waits for it) and about 60 ms of CPU, which on a busy or CPU-limited bridge is
 * taken from the calls already up (each arrival made the others' audio stall). Hosts without the
 * `lsb-release` package (the slim container images) never paid it.
 *
 * {@link skipLsbReleaseProbe} puts a private directory first on this process's `PATH` holding an
 * `lsb_release` that is a symlink to itself: starting it fails at once with ELOOP, and the C
 * library's PATH search (glibc and musl alike) stops at that error instead of trying the next
 * directory, so `os_info` reads `/etc/os-release` in-process (the same answer, no subprocess).
 * Child processes inherit the `PATH`, and with it the directory, which lives as long as the process.
 * Call it in a process's entry point, before the first room connect. Only the main thread's
 * environment reaches native code (a worker thread's `process.env` is its own copy).
 */
import { lstatSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const PROBE = 'lsb_release';

/** Whether `dir` holds the self-referencing `lsb_release` this module makes. */
export function isLsbReleaseGuard(dir: string): boolean {
  try {
    const entry = join(dir, PROBE);
    return lstatSync(entry).isSymbolicLink() && readlinkSync(entry) === PROBE;
  } catch {
    return false;
  }
}

/**
 * Makes `lsb_release` unstartable for this process and its children (see the module comment).
 * Idempotent: a process whose `PATH` already starts with such a directory (its own, or one its
 * parent made) keeps it. Returns that directory, or `undefined` off Linux, where `os_info` runs no
 * subprocess.
 */
export function skipLsbReleaseProbe(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const path = env.PATH ?? '';
  const first = path.split(delimiter)[0];
  if (first && isLsbReleaseGuard(first)) return first;
  // A fresh directory of our own (mode 0700): a fixed name in a shared /tmp could be planted.
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-no-lsb-release-'));
  symlinkSync(PROBE, join(dir, PROBE));
  env.PATH = path ? `${dir}${delimiter}${path}` : dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
