import type { z } from 'zod';

/**
 * Why a Media Streams message was refused. Each code maps to the WebSocket close status a server
 * should use if it decides to end the stream over it (RFC 6455 §7.4.1).
 */
export type ProtocolErrorCode =
  'binary_frame' | 'oversized' | 'invalid_json' | 'unknown_event' | 'invalid_message' | 'invalid_payload';

/** RFC 6455 close codes used for protocol errors. */
export const CloseCode = {
  normal: 1000,
  unsupportedData: 1003,
  policyViolation: 1008,
  messageTooBig: 1009,
} as const;

const closeCodeFor: Record<ProtocolErrorCode, number> = {
  // Media Streams is JSON text only; a binary frame is data of a type we do not accept.
  binary_frame: CloseCode.unsupportedData,
  oversized: CloseCode.messageTooBig,
  invalid_json: CloseCode.policyViolation,
  // A future Twilio event type looks like this too: servers may prefer to log and carry on.
  unknown_event: CloseCode.unsupportedData,
  invalid_message: CloseCode.policyViolation,
  invalid_payload: CloseCode.policyViolation,
};

/**
 * A refused message. Never retryable: the same bytes will be refused again. Returned, not thrown,
 * by the decoders so one bad frame cannot unwind a socket handler.
 */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  /** The WebSocket close status this error maps to. */
  readonly closeCode: number;
  readonly retryable = false;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.closeCode = closeCodeFor[code];
  }
}

const maxShownValueChars = 60;

/** Renders a value for an error message, cut short so a huge payload cannot flood the logs. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > maxShownValueChars
    ? `${text.slice(0, maxShownValueChars)}…(${text.length} chars)`
    : text;
}

/** One line per zod issue: where, what was expected, and the value that was there. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(message)';
      const got = 'input' in issue ? ` (got ${showValue(issue.input)})` : '';
      return `${where}: ${issue.message}${got}`;
    })
    .join('; ');
}
