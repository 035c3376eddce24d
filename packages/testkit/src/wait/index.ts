/**
 * The one way tests wait: poll a probe until it yields a value, or fail naming what never
 * happened. Tests wait on the event that matters (a log line, a metric, a registry state, an audio
 * onset), never on a fixed sleep; the timeout only bounds a wait that is already wrong.
 */
export type Probe<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

export interface WaitOptions {
  /** Give up after this long (ms). Generous: it bounds a failure, it is not a latency bar. */
  timeoutMs?: number;
  /** How often to ask (ms). */
  intervalMs?: number;
  /** Prefix for the error message, e.g. "stand-in phone". */
  label?: string;
}

/** Resolves with the probe's first truthy value; rejects with `timed out waiting for <what>`. */
export async function waitFor<T>(what: string, probe: Probe<T>, opts: WaitOptions | number = {}): Promise<T> {
  const {
    timeoutMs = 20_000,
    intervalMs = 20,
    label,
  } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (performance.now() > deadline) {
      throw new Error(`${label ? `${label}: ` : ''}timed out waiting for ${what} (${timeoutMs} ms)`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
