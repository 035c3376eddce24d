/**
 * What the agent knows about the call, gathered from the bridge's contract: the dispatch metadata,
 * the room metadata and the phone participant's SIP-style attributes. Every source is optional
 * and validated; a room joined by hand (e.g. with the `lk` CLI) simply has an empty context.
 */
import { z } from 'zod';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/);
const direction = z.enum(['inbound', 'outbound']);

const roomMetadataSchema = z.object({
  callSid: z.string().min(1).optional(),
  direction: direction.optional(),
  from: e164.optional(),
  to: e164.optional(),
});

const dispatchMetadataSchema = roomMetadataSchema.extend({
  task: z.string().max(4000).optional(),
  instructions: z.string().max(20000).optional(),
  voice: z.string().min(1).max(64).optional(),
});

export const ATTR = {
  phoneNumber: 'sip.phoneNumber',
  trunkPhoneNumber: 'sip.trunkPhoneNumber',
  callId: 'sip.callID',
  callStatus: 'sip.callStatus',
  callDirection: 'sip.callDirection',
  streamSid: 'callbridge.streamSid',
} as const;

export interface CallContext {
  callSid?: string;
  direction?: 'inbound' | 'outbound';
  /** The person on the phone: the caller on inbound calls, the callee on outbound ones. */
  remoteNumber?: string;
  /** Our Twilio number. */
  ourNumber?: string;
  /** What the agent should get done on this call (dispatch metadata). */
  task?: string;
  /** Extra instructions for this call only (dispatch metadata). */
  instructions?: string;
  /** Voice override for this call (dispatch metadata). */
  voice?: string;
  /** Problems found in the metadata, for logging: the call proceeds without those fields. */
  issues: string[];
}

function parseJson(raw: string, what: string, issues: string[]): unknown {
  if (!raw.trim()) return {};
  try {
    return JSON.parse(raw);
  } catch {
    issues.push(`${what} is not JSON`);
    return {};
  }
}

/** Keeps the valid fields of an object, noting the invalid ones, so one bad field costs only itself. */
function lenient<T extends z.ZodObject>(
  schema: T,
  value: unknown,
  what: string,
  issues: string[],
): z.infer<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(`${what} is not an object`);
    return {} as z.infer<T>;
  }
  const out: Record<string, unknown> = {};
  for (const [key, fieldSchema] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    const parsed = fieldSchema.safeParse(field);
    if (parsed.success) out[key] = parsed.data;
    else issues.push(`${what}.${key} is invalid`);
  }
  return out as z.infer<T>;
}

/** Combines dispatch metadata (preferred: it is per-job) with room metadata. */
export function callContextFromMetadata(dispatchMetadata: string, roomMetadata: string): CallContext {
  const issues: string[] = [];
  const job = lenient(
    dispatchMetadataSchema,
    parseJson(dispatchMetadata, 'dispatch metadata', issues),
    'dispatch',
    issues,
  );
  const room = lenient(roomMetadataSchema, parseJson(roomMetadata, 'room metadata', issues), 'room', issues);
  const dir = job.direction ?? room.direction;
  const from = job.from ?? room.from;
  const to = job.to ?? room.to;
  return {
    callSid: job.callSid ?? room.callSid,
    direction: dir,
    remoteNumber: dir === 'outbound' ? to : from,
    ourNumber: dir === 'outbound' ? from : to,
    task: job.task,
    instructions: job.instructions,
    voice: job.voice,
    issues,
  };
}

/** Fills gaps from the phone participant's attributes; metadata wins where both exist. */
export function withParticipantAttributes(ctx: CallContext, attributes: Record<string, string>): CallContext {
  const number = (key: string) => (e164.safeParse(attributes[key]).success ? attributes[key] : undefined);
  const dir = direction.safeParse(attributes[ATTR.callDirection]);
  return {
    ...ctx,
    callSid: ctx.callSid ?? (attributes[ATTR.callId] || undefined),
    direction: ctx.direction ?? (dir.success ? dir.data : undefined),
    remoteNumber: ctx.remoteNumber ?? number(ATTR.phoneNumber),
    ourNumber: ctx.ourNumber ?? number(ATTR.trunkPhoneNumber),
  };
}

/** The bridge names the phone participant after the remote party's digits: `phone-15551234567`. */
export function phoneIdentityFor(number: string | undefined): string | undefined {
  const digits = number?.replace(/\D/g, '');
  return digits ? `phone-${digits}` : undefined;
}

/** A phone number for logs: enough to correlate, not enough to identify (`+1555…4567`). */
export function maskNumber(number: string | undefined): string | undefined {
  if (!number) return undefined;
  return number.length <= 8 ? '…' : `${number.slice(0, 5)}…${number.slice(-4)}`;
}
