/**
 * A short-lived token binding a Media Stream to the call our webhook answered. The webhook puts it
 * in a `<Parameter>`; the bridge checks it on `start` (`start.customParameters`), so a socket that
 * passed the upgrade signature still cannot attach to another call or outlive its window.
 *
 * Format: `v1.<callSid>.<expiresAtMs>.<nonce>.<mac>`, mac = base64url HMAC-SHA256(secret, everything
 * before it). The random nonce makes each token unique, so a bridge can remember used nonces until
 * they expire and refuse a replay.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CallSidSchema } from './_sids.js';

const VERSION = 'v1';
/** Below this a secret is too easy to guess; HMAC-SHA256 keys should be at least 128 bits. */
export const MIN_STREAM_TOKEN_SECRET_BYTES = 16;
const NONCE_BYTES = 16;

export interface StreamTokenClaims {
  callSid: string;
  expiresAtMs: number;
  /** base64url, unique per token: the key for single-use bookkeeping. */
  nonce: string;
}

export type StreamTokenFailure = 'malformed' | 'bad_signature' | 'wrong_call' | 'expired';
export type StreamTokenVerdict =
  ({ ok: true } & StreamTokenClaims) | { ok: false; reason: StreamTokenFailure };

export function createStreamToken(opts: {
  secret: string;
  callSid: string;
  ttlMs: number;
  nowMs?: number;
}): string {
  if (Buffer.byteLength(opts.secret, 'utf8') < MIN_STREAM_TOKEN_SECRET_BYTES) {
    throw new TypeError(`createStreamToken: secret must be at least ${MIN_STREAM_TOKEN_SECRET_BYTES} bytes`);
  }
  if (!CallSidSchema.safeParse(opts.callSid).success) {
    throw new TypeError(`createStreamToken: callSid "${opts.callSid}" is not a CA SID`);
  }
  if (!(Number.isInteger(opts.ttlMs) && opts.ttlMs > 0)) {
    throw new TypeError(`createStreamToken: ttlMs must be a positive integer, got ${opts.ttlMs}`);
  }
  const expiresAtMs = (opts.nowMs ?? Date.now()) + opts.ttlMs;
  const nonce = randomBytes(NONCE_BYTES).toString('base64url');
  const body = `${VERSION}.${opts.callSid}.${expiresAtMs}.${nonce}`;
  return `${body}.${mac(opts.secret, body)}`;
}

/**
 * Checks a token for `callSid`. Order matters for what the reason reveals: the MAC is checked
 * before anything the token claims is believed. Never throws.
 */
export function verifyStreamToken(opts: {
  secret: string;
  token: unknown;
  callSid: string;
  nowMs?: number;
}): StreamTokenVerdict {
  const claims = parseStreamToken(opts.token);
  if (!claims) return { ok: false, reason: 'malformed' };
  const token = opts.token as string;
  const cut = token.lastIndexOf('.');
  // A short secret was refused at creation, so nothing signed with one can be genuine.
  if (
    typeof opts.secret !== 'string' ||
    Buffer.byteLength(opts.secret, 'utf8') < MIN_STREAM_TOKEN_SECRET_BYTES
  ) {
    return { ok: false, reason: 'bad_signature' };
  }
  const expected = Buffer.from(mac(opts.secret, token.slice(0, cut)));
  const given = Buffer.from(token.slice(cut + 1));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  if (claims.callSid !== opts.callSid) return { ok: false, reason: 'wrong_call' };
  if ((opts.nowMs ?? Date.now()) >= claims.expiresAtMs) return { ok: false, reason: 'expired' };
  return { ok: true, ...claims };
}

const tokenPattern = /^v1\.(CA[0-9a-fA-F]{32})\.([0-9]{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * Reads a token's claims WITHOUT checking its MAC: for logging or bookkeeping only. Use
 * `verifyStreamToken` to decide anything. Null when the token is not well formed.
 */
export function parseStreamToken(token: unknown): StreamTokenClaims | null {
  if (typeof token !== 'string') return null;
  const match = tokenPattern.exec(token);
  if (!match) return null;
  const [, callSid, expires, nonce] = match;
  if (callSid === undefined || expires === undefined || nonce === undefined) return null;
  return { callSid, expiresAtMs: Number(expires), nonce };
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64url');
}
