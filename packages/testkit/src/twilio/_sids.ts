import { randomBytes } from 'node:crypto';

/** A fresh SID as Twilio mints them: type prefix + 32 lowercase hex digits. */
export function newSid(prefix: 'CA' | 'AC' | 'MZ'): string {
  return prefix + randomBytes(16).toString('hex');
}
