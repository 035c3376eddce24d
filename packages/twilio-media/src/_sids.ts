import { z } from 'zod';

/**
 * Twilio SIDs: a two-letter type prefix and 32 hex digits (patterns from Twilio's REST API
 * reference). Checking them strictly matters because call SIDs end up in room names and logs.
 */
const sid = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `expected a ${prefix} SID (${prefix} + 32 hex digits)`);

export const CallSidSchema = sid('CA');
export const AccountSidSchema = sid('AC');
export const StreamSidSchema = sid('MZ');

/** Twilio sends every counter in Media Streams (sequenceNumber, chunk, timestamp) as a decimal string. */
export const DecimalStringSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'expected a decimal number as a string');
