import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffMs } from './delivery.js';
import { signCallback, verifyCallbackSignature } from './signature.js';

const secret = 's'.repeat(32);
const body = '{"event":"call.ended","result":{"confirmed":true}}';

describe('callback signatures', () => {
  it('is the hex HMAC-SHA256 of "timestamp.body" with the secret, prefixed v1=', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signCallback(secret, 1_700_000_000, body)).toBe(`v1=${expected}`);
  });

  it('verifies as a receiver would: body, secret, timestamp and its freshness all count', () => {
    const sig = signCallback(secret, 1_700_000_000, body);
    const ok = { secret, timestamp: '1700000000', signature: sig, body, nowS: 1_700_000_010 };
    expect(verifyCallbackSignature(ok)).toBe(true);
    expect(verifyCallbackSignature({ ...ok, body: body.replace('true', 'false') })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, secret: 't'.repeat(32) })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, timestamp: '1700000001' })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, nowS: 1_700_000_000 + 301 })).toBe(false);
    expect(verifyCallbackSignature({ ...ok, signature: undefined })).toBe(false);
  });
});

describe('backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 1000, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
});
