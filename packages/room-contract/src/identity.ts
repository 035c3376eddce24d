/**
 * The phone participant's identity. The bridge joins the room as `phone-<digits>` of the person on
 * the line (the caller of an inbound call, the callee of an outbound one), or `phone-<callSid>`
 * when Twilio withholds the number (`anonymous`, no digits at all). The agent computes the same
 * identity from the call metadata to wait for exactly that participant.
 */
import type { CallDirection } from './dispatch.js';

export const PHONE_IDENTITY_PREFIX = 'phone-';

/** `phone-<digits>` for a number; `phone-<callSid>` when it has no digits; undefined with neither. */
export function phoneIdentityFor(number: string | undefined, callSid: string): string;
export function phoneIdentityFor(number: string | undefined, callSid?: string): string | undefined;
export function phoneIdentityFor(number: string | undefined, callSid?: string): string | undefined {
  const digits = number?.replace(/\D/g, '') ?? '';
  if (digits.length > 0) return `${PHONE_IDENTITY_PREFIX}${digits}`;
  return callSid ? `${PHONE_IDENTITY_PREFIX}${callSid}` : undefined;
}

/** The person on the line: the caller of an inbound call, the callee of an outbound one. */
export function remotePartyOf(call: { direction: CallDirection; from: string; to: string }): string {
  return call.direction === 'inbound' ? call.from : call.to;
}

/** Our own number on the call: the other end from the remote party. */
export function ourNumberOf(call: { direction: CallDirection; from: string; to: string }): string {
  return call.direction === 'inbound' ? call.to : call.from;
}

/** Whether a participant is named like a bridge phone participant. */
export function isPhoneIdentity(identity: string): boolean {
  return identity.startsWith(PHONE_IDENTITY_PREFIX);
}
