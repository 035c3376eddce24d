/**
 * Encoders for what our server sends on a bidirectional Media Stream. They take values the caller
 * already holds (the `streamSid` from `start`, audio it produced), so they do not re-validate.
 */
import type {
  OutboundClearMessage,
  OutboundMarkMessage,
  OutboundMediaMessage,
} from './_outbound-messages.js';

/** A `media` message playing `payloadBase64` (raw μ-law 8 kHz mono) to the caller. */
export function encodeMedia(streamSid: string, payloadBase64: string): string {
  const message: OutboundMediaMessage = { event: 'media', streamSid, media: { payload: payloadBase64 } };
  return JSON.stringify(message);
}

/** A `mark`: Twilio echoes it back once all audio sent before it has played (or was cleared). */
export function encodeMark(streamSid: string, name: string): string {
  const message: OutboundMarkMessage = { event: 'mark', streamSid, mark: { name } };
  return JSON.stringify(message);
}

/** A `clear`: Twilio drops all buffered audio and echoes every pending mark. */
export function encodeClear(streamSid: string): string {
  const message: OutboundClearMessage = { event: 'clear', streamSid };
  return JSON.stringify(message);
}

/** μ-law bytes → base64 payload, without copying the bytes. */
export function mulawToPayload(mulaw: Uint8Array): string {
  return Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
}

/** Base64 payload → μ-law bytes. Pass only payloads the decoder accepted. */
export function payloadToMulaw(payloadBase64: string): Uint8Array {
  return Buffer.from(payloadBase64, 'base64');
}
