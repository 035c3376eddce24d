import type { z } from 'zod';
import { describeIssues, ProtocolError, showValue } from './_errors.js';
import { type InboundMessage, InboundMessageSchemas } from './_inbound-messages.js';
import { type OutboundMessage, OutboundMessageSchemas } from './_outbound-messages.js';

/** 64 KiB: a 20 ms inbound frame is ~350 bytes of JSON; this leaves room for seconds of outbound audio. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

export interface DecodeOptions {
  /** Refuse messages larger than this many bytes (code `oversized`). Default 64 KiB. */
  maxBytes?: number;
  /** Pass the `isBinary` flag from `ws`: Media Streams messages are text frames only. */
  isBinary?: boolean;
}

export type DecodeResult<M> = { ok: true; message: M } | { ok: false; error: ProtocolError };

/** Decodes a message Twilio sent us. Never throws. */
export function decodeInbound(raw: string | Buffer, opts?: DecodeOptions): DecodeResult<InboundMessage> {
  return decodeWith(InboundMessageSchemas, raw, opts);
}

/**
 * Decodes a message a server sends to Twilio (what the simulator checks a bridge against).
 * Never throws.
 */
export function decodeOutbound(raw: string | Buffer, opts?: DecodeOptions): DecodeResult<OutboundMessage> {
  return decodeWith(OutboundMessageSchemas, raw, opts);
}

// Strict standard alphabet with padding: what Twilio sends and what it expects back.
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why a base64 media payload is unusable, or null when it is fine. */
export function checkMediaPayload(payload: string): string | null {
  if (payload.length === 0) return 'media.payload is empty';
  if (payload.length % 4 !== 0 || !base64Pattern.test(payload)) {
    return `media.payload is not base64: ${showValue(payload)}`;
  }
  return null;
}

function decodeWith<M extends InboundMessage | OutboundMessage>(
  schemas: Record<string, z.ZodType>,
  raw: string | Buffer,
  opts: DecodeOptions | undefined,
): DecodeResult<M> {
  const maxBytes = opts?.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (opts?.isBinary)
    return fail('binary_frame', 'Media Streams messages are JSON text frames; got a binary frame');

  if (exceedsBytes(raw, maxBytes)) {
    const size = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.byteLength;
    return fail('oversized', `message is ${size} bytes; the limit is ${maxBytes}`);
  }

  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail('invalid_json', `message is not JSON (${(err as Error).message}): ${showValue(text)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail('invalid_message', `message must be a JSON object; got ${showValue(data)}`);
  }
  const event = (data as { event?: unknown }).event;
  if (typeof event !== 'string') {
    return fail('invalid_message', `message has no string "event" field; got ${showValue(event)}`);
  }
  const schema = Object.hasOwn(schemas, event) ? schemas[event] : undefined;
  if (!schema) {
    return fail(
      'unknown_event',
      `unknown event ${showValue(event)}; expected one of ${Object.keys(schemas).join(', ')}`,
    );
  }

  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success)
    return fail('invalid_message', `invalid "${event}" message: ${describeIssues(parsed.error.issues)}`);
  const message = parsed.data as InboundMessage | OutboundMessage;

  if (message.event === 'media') {
    const problem = checkMediaPayload(message.media.payload);
    if (problem) return fail('invalid_payload', problem);
  }
  return { ok: true, message: message as M };
}

function fail(code: ProtocolError['code'], message: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, message) };
}

/**
 * Whether the UTF-8 size exceeds the limit. Every UTF-16 unit takes 1 to 3 bytes, so the exact
 * count is needed only between those bounds: the hot path (small frames) never encodes.
 */
function exceedsBytes(raw: string | Buffer, maxBytes: number): boolean {
  if (typeof raw !== 'string') return raw.byteLength > maxBytes;
  if (raw.length > maxBytes) return true;
  if (raw.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(raw, 'utf8') > maxBytes;
}
