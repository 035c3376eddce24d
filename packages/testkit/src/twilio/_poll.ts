/** Waiting on a simulated call's state, which changes on its own timers and sockets. */

/** Polls every 10 ms until `check` gives a value; throws `failure()` once `giveUp()` or the deadline says so. */
export async function pollFor<T>(
  check: () => T | undefined,
  opts: { timeoutMs: number; giveUp?: () => boolean; failure: () => string },
): Promise<T> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (opts.giveUp?.() || performance.now() > deadline) throw new Error(opts.failure());
    await new Promise((r) => setTimeout(r, 10));
  }
}
