/**
 * Phone numbers, the phone participant's identity (`phone-<digits>`) and keypad digits are personal
 * data. Both apps log them only through these masks, in every environment: enough to correlate
 * lines of one call, not enough to identify a person or read a PIN.
 */
import { PHONE_IDENTITY_PREFIX } from './identity.js';

/** `+15551234567` → `+1555…4567`; short or odd values (`anonymous`) become `…`. */
export function maskPhoneNumber(number: string | undefined): string | undefined {
  if (!number) return undefined;
  return number.length <= 8 ? '…' : `${number.slice(0, 5)}…${number.slice(-4)}`;
}

/** `phone-15551234567` → `phone-1555…4567`; other identities (agents, `phone-CA…`) unchanged. */
export function maskIdentity(identity: string | undefined): string | undefined {
  if (!identity?.startsWith(PHONE_IDENTITY_PREFIX)) return identity;
  const rest = identity.slice(PHONE_IDENTITY_PREFIX.length);
  if (!/^\d+$/.test(rest)) return identity; // phone-<callSid>: no number in it
  return `${PHONE_IDENTITY_PREFIX}${rest.length <= 8 ? '…' : `${rest.slice(0, 4)}…${rest.slice(-4)}`}`;
}

/** Log fields that hold personal data, and how each is masked (for pino's `redact`). */
const MASKS: Record<string, (value: unknown) => unknown> = {
  caller: (v) => (typeof v === 'string' ? maskPhoneNumber(v) : '[phone]'),
  callee: (v) => (typeof v === 'string' ? maskPhoneNumber(v) : '[phone]'),
  identity: (v) => (typeof v === 'string' ? maskIdentity(v) : v),
  participant: (v) => (typeof v === 'string' ? maskIdentity(v) : v),
  digit: () => '*',
  digits: () => '*',
};

/** pino `redact` options that mask the personal-data fields, at the top level and one level down. */
export function personalDataRedaction(): {
  paths: string[];
  censor: (value: unknown, path: string[]) => unknown;
} {
  const fields = Object.keys(MASKS);
  return {
    paths: [...fields, ...fields.map((f) => `*.${f}`)],
    censor: (value, path) => MASKS[path[path.length - 1] ?? '']?.(value) ?? '[redacted]',
  };
}
