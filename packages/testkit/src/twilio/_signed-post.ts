/**
 * Twilio's HTTP requests to an application: form-encoded POSTs signed with X-Twilio-Signature
 * over the URL Twilio was configured with (which may differ from where the packets go when a proxy
 * or a test rewrites the address).
 */
import { computeTwilioSignature } from '@callbridge/twilio-media';

/**
 * How to sign a request: `valid` (what Twilio sends), `forged` (a well-formed signature made with
 * the wrong auth token), `missing` (no header), or any other string sent verbatim.
 */
export type SignatureMode = 'valid' | 'forged' | 'missing' | (string & {});

export function signatureHeader(
  mode: SignatureMode,
  authToken: string,
  url: string,
  params: Record<string, string>,
): string | null {
  if (mode === 'missing') return null;
  if (mode === 'valid') return computeTwilioSignature(authToken, url, params);
  if (mode === 'forged') return computeTwilioSignature(`${authToken}-not-the-real-token`, url, params);
  return mode;
}

export type FormPostResult =
  { ok: true; status: number; contentType: string | null; body: string } | { ok: false; error: string };

export interface SignedPost {
  /** The URL Twilio believes it requests; this is what gets signed. */
  url: string;
  authToken: string;
  params: Record<string, string>;
  signature?: SignatureMode;
  /** Maps the signed URL to the address actually connected to. Default: unchanged. */
  rewriteUrl?: (url: string) => string;
  /** Twilio waits 15 s for a voice webhook before giving up (error 11205). */
  timeoutMs?: number;
}

/** POSTs a signed form. Never throws: network failures come back as `{ ok: false }`. */
export async function postSignedForm(post: SignedPost): Promise<FormPostResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'TwilioProxy/1.1',
  };
  const signature = signatureHeader(post.signature ?? 'valid', post.authToken, post.url, post.params);
  if (signature !== null) headers['x-twilio-signature'] = signature;
  const target = (post.rewriteUrl ?? ((u) => u))(post.url);
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers,
      body: new URLSearchParams(post.params).toString(),
      signal: AbortSignal.timeout(post.timeoutMs ?? 15_000),
    });
    const body = await response.text();
    return { ok: true, status: response.status, contentType: response.headers.get('content-type'), body };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return {
      ok: false,
      error: `POST ${target} failed: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
    };
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 2822 in UTC, the format of Twilio's `Timestamp` parameter ("Mon, 16 Aug 2010 03:45:01 +0000"). */
export function rfc2822(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
