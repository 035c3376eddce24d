/**
 * Delivers each ended call's callback: signed POSTs, retried with exponential backoff on network
 * errors, timeouts, 408, 429 and 5xx, up to CALLBACK_MAX_ATTEMPTS; other answers (3xx: redirects
 * are not followed, 4xx) and refused targets end it as `failed` at once. Every attempt is written to
 * the record (attempts, last status, last error, delivered_at), so `GET /api/calls/:sid` shows it,
 * and a bridge that stops mid-way resumes its pending deliveries when it starts again.
 */
import type { Logger } from '../logger.js';
import type { CallStore } from '../records/call-store.js';
import { callbackBody } from './body.js';
import { postOnce } from './post.js';
import { CALLBACK_HEADERS, signCallback } from './signature.js';
import {
  CallbackTargetRefused,
  resolveCallbackTarget,
  type CallbackPolicy,
  type Lookup,
} from './url-guard.js';

export interface CallbackSettings extends CallbackPolicy {
  secret: string | undefined;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
}

/** The wait before attempt `n + 1` after `n` failed ones: base · 2^(n-1), capped. */
export function backoffMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

export class CallbackDelivery {
  readonly #running = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();

  constructor(
    private readonly deps: {
      store: Promise<CallStore>;
      settings: CallbackSettings;
      log: Logger;
      lookup?: Lookup;
    },
  ) {}

  /** Starts delivering a call's callback (the call has ended); a delivery already running is kept. */
  deliver(callSid: string): void {
    if (this.#running.has(callSid) || this.#abort.signal.aborted) return;
    const run = this.#run(callSid).catch((err: Error) =>
      this.deps.log.error({ callSid, err: err.message }, 'callback delivery failed'),
    );
    this.#running.set(callSid, run);
    void run.finally(() => this.#running.delete(callSid));
  }

  /** Deliveries this instance left pending when it stopped. */
  async resume(instanceId: string): Promise<void> {
    for (const callSid of await (await this.deps.store).pendingCallbacks(instanceId)) this.deliver(callSid);
  }

  /** Waits for the deliveries running now (tests); retries still waiting count too. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }

  /** Stops retrying; unfinished deliveries stay pending in the records for the next start. */
  close(): void {
    this.#abort.abort();
  }

  async #run(callSid: string): Promise<void> {
    const { settings, log } = this.deps;
    const store = await this.deps.store;
    const record = await store.get(callSid);
    if (!record?.callbackUrl || record.callbackState === 'delivered' || record.callbackState === 'failed')
      return;
    const body = callbackBody(record);
    const clog = log.child({ callSid });
    let attempts = record.callbackAttempts;
    const fail = async (error: string, status: number | null) => {
      clog.warn({ attempts, status, err: error }, 'callback given up');
      await store.update(callSid, {
        callbackState: 'failed',
        callbackLastError: error,
        callbackLastStatus: status,
      });
    };
    if (!settings.secret) return fail('callbacks are off (CALLBACK_SECRET is not set)', null);
    while (attempts < settings.maxAttempts) {
      if (this.#abort.signal.aborted) return;
      attempts += 1;
      await store.update(callSid, { callbackState: 'delivering', callbackAttempts: attempts });
      let status: number | null = null;
      let error: string | null = null;
      try {
        const { url, target } = await resolveCallbackTarget(record.callbackUrl, settings, this.deps.lookup);
        const timestamp = Math.floor(Date.now() / 1000);
        status = await postOnce({
          url,
          target,
          body,
          timeoutMs: settings.timeoutMs,
          headers: {
            [CALLBACK_HEADERS.timestamp]: String(timestamp),
            [CALLBACK_HEADERS.signature]: signCallback(settings.secret, timestamp, body),
            [CALLBACK_HEADERS.delivery]: callSid,
            [CALLBACK_HEADERS.attempt]: String(attempts),
          },
        });
      } catch (err) {
        if (err instanceof CallbackTargetRefused) return fail(err.message, null);
        error = (err as Error).message;
      }
      if (status !== null && status >= 200 && status < 300) {
        await store.update(callSid, {
          callbackState: 'delivered',
          callbackLastStatus: status,
          callbackDeliveredAt: Date.now(),
          callbackLastError: null,
        });
        clog.info({ attempts, status }, 'callback delivered');
        return;
      }
      error ??=
        status !== null && status >= 300 && status < 400
          ? `HTTP ${status} (redirects are not followed)`
          : `HTTP ${status}`;
      if (status !== null && !retryable(status)) return fail(error, status);
      await store.update(callSid, { callbackLastStatus: status, callbackLastError: error });
      if (attempts >= settings.maxAttempts) break;
      const waitMs = backoffMs(attempts, settings.retryBaseMs, settings.retryMaxMs);
      clog.info({ attempts, status, err: error, waitMs }, 'callback attempt failed, retrying');
      if (!(await this.#sleep(waitMs))) return;
    }
    const last = await store.get(callSid);
    await fail(last?.callbackLastError ?? 'no attempt succeeded', last?.callbackLastStatus ?? null);
  }

  /** Resolves true after `ms`, false at once when the delivery service is closed. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
