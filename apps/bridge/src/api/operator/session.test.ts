import { describe, expect, it } from 'vitest';
import {
  checkPassword,
  sessionCookie,
  sessionFromCookieHeader,
  signSession,
  verifySession,
} from './session.js';

const SECRET = 'a-session-secret-of-at-least-32-chars!';

describe('operator sessions', () => {
  it('round-trips the operator name until the expiry, and refuses forged or foreign tokens', () => {
    const token = signSession(SECRET, 'alice.ops', 2_000);
    expect(verifySession(SECRET, token, 1_999)).toBe('alice.ops');
    expect(verifySession(SECRET, token, 2_000)).toBeUndefined();
    expect(verifySession('another-secret-of-at-least-32-chars!!', token, 1_000)).toBeUndefined();
    const [v, , exp, sig] = token.split('.');
    const forged = [v, Buffer.from('mallory').toString('base64url'), exp, sig].join('.');
    expect(verifySession(SECRET, forged, 1_000)).toBeUndefined();
    expect(verifySession(SECRET, 'v1.x', 1_000)).toBeUndefined();
  });

  it('sets HttpOnly and SameSite=Strict always, Secure in production, and reads the cookie back', () => {
    expect(sessionCookie('tok', { maxAgeS: 60, secure: false })).toBe(
      'callbridge_session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=60',
    );
    expect(sessionCookie('tok', { maxAgeS: 60, secure: true })).toMatch(/; Secure$/);
    expect(sessionFromCookieHeader('a=1; callbridge_session=v1.abc.1.x; b=2')).toBe('v1.abc.1.x');
    expect(sessionFromCookieHeader('a=1')).toBeUndefined();
  });

  it('checks passwords of known operators only', () => {
    const users = new Map([['alice', 'correct horse battery']]);
    expect(checkPassword(users, 'alice', 'correct horse battery')).toBe(true);
    expect(checkPassword(users, 'alice', 'wrong')).toBe(false);
    expect(checkPassword(users, 'bob', 'correct horse battery')).toBe(false);
  });
});
