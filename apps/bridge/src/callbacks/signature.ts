/**
 * Callback signatures: `X-Callbridge-Signature: v1=<hex HMAC-SHA256(CALLBACK_SECRET, timestamp + "." + body)>`
 * with `X-Callbridge-Timestamp: <unix seconds>`. The receiver recomputes it over the raw body bytes,
 * compares in constant time, and refuses timestamps too far from its clock (replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CALLBACK_HEADERS = {
  signature: 'x-callbridge-signature',
  timestamp: 'x-callbridge-timestamp',
  /** The CallSid: one delivery per call, retried with the same body (receivers can deduplicate). */
  delivery: 'x-callbridge-delivery',
  attempt: 'x-callbridge-attempt',
} as const;

export function signCallback(secret: string, timestampS: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** The receiver's check (documented in the README; used by the tests as a receiver would). */
export function verifyCallbackSignature(opts: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  toleranceS?: number;
  nowS?: number;
}): boolean {
  const { secret, timestamp, signature, body } = opts;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const nowS = opts.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - Number(timestamp)) > (opts.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signCallback(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
