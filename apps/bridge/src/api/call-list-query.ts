import { z } from 'zod';
import { CALL_STATUSES, RECORD_OUTCOMES, type CallFilter } from '../records/schema.js';

const date = (what: string) =>
  z
    .string()
    .refine(
      (s) => !Number.isNaN(Date.parse(s)),
      `${what} must be an ISO 8601 date or time, e.g. 2025-03-04 or 2025-03-04T10:00:00Z`,
    )
    .transform((s) => Date.parse(s));

/** `GET /api/calls` query parameters. */
const ListQuery = z
  .object({
    status: z.enum(CALL_STATUSES).optional(),
    outcome: z.enum(RECORD_OUTCOMES).optional(),
    direction: z.enum(['inbound', 'outbound']).optional(),
    number: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'number must be E.164, e.g. +15551234567 (URL-encode the + as %2B)')
      .optional(),
    since: date('since').optional(),
    until: date('until').optional(),
    /** Search in what was said (case-insensitive). */
    text: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

/** The keyset cursor is opaque to clients: the last row's creation time and CallSid. */
export function encodeCursor(createdAt: number, callSid: string): string {
  return Buffer.from(`${createdAt}:${callSid}`).toString('base64url');
}

function decodeCursor(cursor: string): CallFilter['before'] | undefined {
  const [at, sid] = Buffer.from(cursor, 'base64url').toString().split(':');
  const createdAt = Number(at);
  return Number.isFinite(createdAt) && sid ? { createdAt, callSid: sid } : undefined;
}

export function parseListQuery(
  query: unknown,
): { ok: true; filter: CallFilter } | { ok: false; message: string } {
  const parsed = ListQuery.safeParse(query);
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues.map((i) => i.message).join('; ') };
  }
  const { cursor, ...rest } = parsed.data;
  const before = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && !before) return { ok: false, message: 'cursor is not one this API returned' };
  return { ok: true, filter: { ...rest, before } };
}
