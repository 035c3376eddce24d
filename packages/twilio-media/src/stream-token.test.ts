import { describe, expect, it } from 'vitest';
import { createStreamToken, parseStreamToken, verifyStreamToken } from './index.js';
import { CALL_SID } from './_test-fixtures.js';

const secret = 'a-test-secret-of-at-least-16-bytes';
const now = 1_700_000_000_000;
const OTHER_CALL = 'CA' + '1'.repeat(32);

describe('stream token', () => {
  const token = createStreamToken({ secret, callSid: CALL_SID, ttlMs: 30_000, nowMs: now });

  it('verifies for its call within its lifetime, returning the claims for replay bookkeeping', () => {
    const verdict = verifyStreamToken({ secret, token, callSid: CALL_SID, nowMs: now + 29_999 });
    expect(verdict).toMatchObject({ ok: true, callSid: CALL_SID, expiresAtMs: now + 30_000 });
    expect(verdict.ok && verdict.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('is expired at its expiry time', () => {
    expect(verifyStreamToken({ secret, token, callSid: CALL_SID, nowMs: now + 30_000 })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('is refused for another call', () => {
    expect(verifyStreamToken({ secret, token, callSid: OTHER_CALL, nowMs: now })).toEqual({
      ok: false,
      reason: 'wrong_call',
    });
  });

  it('detects tampering with any claim or the MAC, and a different secret', () => {
    const parts = token.split('.');
    const withPart = (i: number, value: string) => parts.map((p, j) => (j === i ? value : p)).join('.');
    const tampered = [
      withPart(1, OTHER_CALL), // re-bound to another call
      withPart(2, String(now + 10_000_000)), // lifetime extended
      withPart(3, 'A'.repeat(22)), // nonce swapped
      withPart(4, 'B'.repeat(43)), // MAC replaced
    ];
    for (const t of tampered) {
      expect(verifyStreamToken({ secret, token: t, callSid: OTHER_CALL, nowMs: now }).ok).toBe(false);
      expect(verifyStreamToken({ secret, token: t, callSid: CALL_SID, nowMs: now })).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
    expect(verifyStreamToken({ secret: secret + 'x', token, callSid: CALL_SID, nowMs: now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('calls anything that is not a token malformed', () => {
    for (const bad of [
      undefined,
      42,
      '',
      'v1',
      token + '.x',
      token.replace('v1.', 'v2.'),
      token.slice(0, -1),
    ]) {
      expect(verifyStreamToken({ secret, token: bad, callSid: CALL_SID, nowMs: now })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('never validates under a secret too short to have signed it', () => {
    expect(verifyStreamToken({ secret: '', token, callSid: CALL_SID, nowMs: now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('gives every token its own nonce', () => {
    const nonces = new Set(
      Array.from(
        { length: 50 },
        () => parseStreamToken(createStreamToken({ secret, callSid: CALL_SID, ttlMs: 1000 }))?.nonce,
      ),
    );
    expect(nonces.size).toBe(50);
  });

  it('refuses weak secrets, bad call SIDs and bad lifetimes at creation, naming them', () => {
    expect(() => createStreamToken({ secret: 'short', callSid: CALL_SID, ttlMs: 1000 })).toThrow(
      /at least 16 bytes/,
    );
    expect(() => createStreamToken({ secret, callSid: 'CA123', ttlMs: 1000 })).toThrow(
      /"CA123" is not a CA SID/,
    );
    expect(() => createStreamToken({ secret, callSid: CALL_SID, ttlMs: 0 })).toThrow(/ttlMs .* got 0/);
  });
});
