/**
 * LiveKit's native SDK (rtc-node's FFI, so the bridge, LiveKit Agents' call processes and the
 * testkit's participants) describes the host in its signalling URL on every room connect, through
 * the `os_info` crate; on Linux `os_info` first runs `lsb_release -a` as a subprocess and reads
 * `/etc/os-release` itself only when that command cannot be started. Debian's `lsb_release` is a
 * shell script that forks `tr` and `cut`: measured here, about 45 ms added to every connect (a tokio
 * worker waits for it) and 30–60 ms of CPU, which on a busy or CPU-limited bridge is taken from the
 * calls already up (each arrival made the others' audio stall). Hosts without the `lsb-release`
 * package (the slim container images) never paid it.
 *
 * {@link skipLsbReleaseProbe} puts a directory first on this process's `PATH` holding an
 * `lsb_release` that is a symlink to itself: starting it fails at once with ELOOP, and the C
 * library's PATH search (glibc and musl alike) stops at that error instead of trying the next
 * directory, so `os_info` reads `/etc/os-release` in-process (the same answer, no subprocess).
 * Shells search PATH themselves and are not affected. Child processes inherit the `PATH`.
 *
 * The directory comes first on the PATH, so nobody else may be able to write it or take its place:
 * it lives in the user's cache directory (never in a shared /tmp, where a name freed by a cleaner
 * could be planted), is only used while it is a real directory of this user writable by nobody else,
 * and is kept (its one entry never changes; every process of the user shares it). Where none of that
 * holds (a read-only home, say) the process starts as before, probe and all.
 * Call it in a process's entry point, before the first room connect. Only the main thread's
 * environment reaches native code (a worker thread's `process.env` is its own copy).
 */
import { lstatSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

const PROBE = 'lsb_release';
/** What the C library searches when PATH is unset; kept after the guard in that case. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Where the guard lives: `$XDG_CACHE_HOME/callbridge/no-lsb-release`, else under `~/.cache`. */
export function lsbReleaseGuardDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'callbridge', 'no-lsb-release');
}

/**
 * Whether `dir` is a guard this process may put first on its PATH: a real directory (not a link)
 * of this user that no one else can write, holding the self-referencing `lsb_release`.
 */
export function isLsbReleaseGuard(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || (stat.mode & 0o022) !== 0) return false;
    if (process.getuid && stat.uid !== process.getuid()) return false;
    const entry = join(dir, PROBE);
    return lstatSync(entry).isSymbolicLink() && readlinkSync(entry) === PROBE;
  } catch {
    return false;
  }
}

/**
 * Makes `lsb_release` unstartable for this process and its children (see the module comment).
 * Idempotent: a process whose `PATH` already starts with the guard (its own, or its parent's)
 * keeps it. Returns the guard's directory, or `undefined` where it was not set up: off Linux (the
 * probes there are other commands), or where the directory cannot be made safely.
 */
export function skipLsbReleaseProbe(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const dir = lsbReleaseGuardDir(env);
  const path = env.PATH;
  if (path?.split(delimiter)[0] === dir && isLsbReleaseGuard(dir)) return dir;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      symlinkSync(PROBE, join(dir, PROBE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it
    }
  } catch {
    return undefined;
  }
  if (!isLsbReleaseGuard(dir)) return undefined;
  env.PATH = `${dir}${delimiter}${path || DEFAULT_PATH}`;
  return dir;
}
