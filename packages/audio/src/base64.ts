import { describeValue } from './_validate.js';

/**
 * Standard, padded base64 as Twilio sends it. Node's decoder skips characters it does not know,
 * which would silently shorten the audio, so payloads are checked first.
 */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function assertBase64Payload(payload: unknown): asserts payload is string {
  if (typeof payload !== 'string') {
    throw new TypeError(`media payload must be a base64 string, got ${describeValue(payload)}`);
  }
  if (payload.length === 0) throw new RangeError('media payload is empty (0 base64 characters)');
  if (!BASE64_PATTERN.test(payload)) {
    throw new RangeError(
      `media payload is not padded base64 (length ${payload.length}, starts ${JSON.stringify(payload.slice(0, 16))})`,
    );
  }
}

/** Bytes a valid padded base64 string decodes to. */
export function base64DecodedLength(payload: string): number {
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  return (payload.length / 4) * 3 - padding;
}

/** One Twilio `media.payload` to its μ-law bytes (a fresh array). */
export function base64ToMuLaw(payload: string): Uint8Array {
  assertBase64Payload(payload);
  const bytes = Buffer.from(payload, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** μ-law bytes to a Twilio `media.payload`, without copying them first. */
export function muLawToBase64(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`μ-law bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
