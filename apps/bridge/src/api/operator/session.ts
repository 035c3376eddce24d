import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The console's session cookie: HttpOnly, SameSite=Strict, Secure in production. */
export const SESSION_COOKIE = 'callbridge_session';

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const mac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64url');

/**
 * A stateless session: `v1.<operator>.<expiry ms>.<HMAC>`, signed with CONSOLE_SESSION_SECRET, so
 * any bridge instance sharing the secret accepts it and nothing is stored.
 */
export function signSession(secret: string, operator: string, expiresAtMs: number): string {
  const body = `v1.${b64(operator)}.${expiresAtMs}`;
  return `${body}.${mac(secret, body)}`;
}

/** The operator a session token names, or undefined when it is forged, malformed or expired. */
export function verifySession(secret: string, token: string, nowMs = Date.now()): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
  const body = parts.slice(0, 3).join('.');
  const given = Buffer.from(parts[3]!);
  const want = Buffer.from(mac(secret, body));
  if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
  const expiresAt = Number(parts[2]);
  if (!Number.isFinite(expiresAt) || expiresAt <= nowMs) return undefined;
  return Buffer.from(parts[1]!, 'base64url').toString();
}

/** The Set-Cookie value for a session (or, with an empty token, one that clears it). */
export function sessionCookie(token: string, opts: { maxAgeS: number; secure: boolean }): string {
  const attrs = [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${opts.maxAgeS}`,
  ];
  if (opts.secure) attrs.push('Secure');
  return attrs.join('; ');
}

/** The session token from a Cookie header, if any. */
export function sessionFromCookieHeader(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether `password` is this operator's (CONSOLE_USERS), compared in constant time. */
export function checkPassword(users: ReadonlyMap<string, string>, name: string, password: string): boolean {
  const expected = users.get(name);
  // Compare against something even for an unknown name, so timing does not tell names apart.
  const ok = timingSafeEqual(digest(expected ?? '\0unknown'), digest(password));
  return expected !== undefined && ok;
}
