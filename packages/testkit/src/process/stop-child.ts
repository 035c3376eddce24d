import type { ChildProcess } from 'node:child_process';

/** Stops a server the testkit started: SIGTERM, SIGKILL after `graceMs` if it has not exited by then. */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  graceMs = 3_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
