/**
 * X-Twilio-Signature: base64 HMAC-SHA1, keyed by the account's auth token, over the full URL Twilio
 * requested followed by the POST parameters sorted by name (name+value, no separators). We wrap
 * the `twilio` package's own implementation rather than re-deriving it.
 */
import twilio from 'twilio';

/** The request header Twilio signs with. Node lower-cases incoming header names. */
export const SIGNATURE_HEADER = 'x-twilio-signature';

export interface SignatureCheck {
  authToken: string;
  /** The exact URL Twilio was configured with (public scheme/host/path and query), not one rebuilt from a proxy's Host header. */
  url: string;
  /** Form parameters of the request; `{}` for a WebSocket upgrade. */
  params: Record<string, unknown>;
  /** Value of the X-Twilio-Signature header; a repeated header (array) is refused. */
  signature: string | string[] | undefined;
}

/**
 * True only for a valid signature. False when any piece is missing or malformed; never throws.
 * Like `twilio.validateRequest`, a URL signed with or without its default port both pass.
 */
export function validateTwilioSignature(check: SignatureCheck): boolean {
  const { authToken, url, params, signature } = check;
  if (typeof signature !== 'string' || signature.length === 0) return false;
  if (typeof authToken !== 'string' || authToken.length === 0) return false;
  if (typeof url !== 'string' || url.length === 0) return false;
  if (typeof params !== 'object' || params === null) return false;
  try {
    return twilio.validateRequest(authToken, signature, url, params);
  } catch {
    // validateRequest throws on a URL it cannot parse: that is simply not a valid request.
    return false;
  }
}

/** The signature Twilio would send for this request (what the simulator puts in the header). */
export function computeTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, unknown>,
): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/**
 * The Media Streams WebSocket upgrade carries X-Twilio-Signature computed over the stream URL
 * (the `<Stream url>` from our TwiML) with no body parameters.
 */
export function validateStreamUpgradeSignature(check: {
  authToken: string;
  streamUrl: string;
  signature: string | string[] | undefined;
}): boolean {
  return validateTwilioSignature({
    authToken: check.authToken,
    url: check.streamUrl,
    params: {},
    signature: check.signature,
  });
}

/** Signature for a Media Streams WebSocket upgrade to `streamUrl`. */
export function computeStreamUpgradeSignature(authToken: string, streamUrl: string): string {
  return computeTwilioSignature(authToken, streamUrl, {});
}
