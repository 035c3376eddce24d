/**
 * What the agent knows about the call, gathered from the bridge's contract: the dispatch metadata,
 * the room metadata and the phone participant's SIP-style attributes. Every source is optional
 * and validated; a room joined by hand (e.g. with the `lk` CLI) simply has an empty context.
 */
import {
  type HistoryLine,
  callDirectionSchema,
  dispatchMetadataSchema,
  PHONE_ATTRIBUTES,
  phoneAttributesSchema,
  phoneIdentityFor,
  remotePartyOf,
  roomMetadataSchema,
  maskPhoneNumber,
  type ResultSchema,
  type VoicemailPlan,
} from '@callbridge/room-contract';
import { z } from 'zod';

/** The numbers the model is told about must be E.164; the contract's `from`/`to` may be anything Twilio sent. */
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/);

/** The phone participant's attribute names (the room contract's), as the agent's code calls them. */
export const ATTR = PHONE_ATTRIBUTES;

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
  /** Voice override for this call (dispatch metadata: the request's, else the route's). */
  voice?: string;
  /** The bridge's route for this call (ROUTES_FILE), by name, for logs. */
  route?: string;
  /** The route's instructions: they replace the worker's AGENT_INSTRUCTIONS. */
  persona?: string;
  /** The route's greeting: replaces AGENT_GREETING_INSTRUCTIONS. */
  greeting?: string;
  /** The route's language (ISO 639-1). */
  language?: string;
  /** The route's business tools (offered only if the worker has them: AGENT_TOOLS). */
  tools?: string[];
  /** The route's transfer targets (offered only if on the worker's TRANSFER_ALLOWLIST). */
  transferTargets?: string[];
  /** This agent replaces one that was lost mid-call: continue the conversation, do not greet. */
  resumed?: boolean;
  /** With `resumed`: the conversation so far as the bridge recorded it (oldest first). */
  history?: HistoryLine[];
  /** The shape of the task's result (dispatch metadata): the agent offers `report_result`. */
  resultSchema?: ResultSchema;
  /** Answering machine detection runs on this call: its verdict arrives in `callbridge.answeredBy`. */
  machineDetection?: boolean;
  /** What to do when a machine answers (dispatch metadata). */
  voicemail?: VoicemailPlan;
  /**
   * The phone participant the bridge joins as (`phone-<digits>`, or `phone-<callSid>` for a withheld
   * number), when the metadata names the call; undefined for a room joined by hand.
   */
  phoneIdentity?: string;
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
): Partial<z.infer<T>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(`${what} is not an object`);
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, fieldSchema] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    const parsed = fieldSchema.safeParse(field);
    if (parsed.success) out[key] = parsed.data;
    else issues.push(`${what}.${key} is invalid`);
  }
  return out as Partial<z.infer<T>>;
}

/** One metadata source read with the contract's schema, plus which of its numbers are E.164. */
function readMetadata<T extends typeof roomMetadataSchema>(
  schema: T,
  raw: string,
  json: string,
  what: string,
  issues: string[],
) {
  const fields = lenient(schema, parseJson(raw, json, issues), what, issues);
  const number = (key: 'from' | 'to') => {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (e164.safeParse(value).success) return value;
    issues.push(`${what}.${key} is invalid`);
    return undefined;
  };
  return { fields, from: number('from'), to: number('to') };
}

/** Combines dispatch metadata (preferred: it is per-job) with room metadata. */
export function callContextFromMetadata(dispatchMetadata: string, roomMetadata: string): CallContext {
  const issues: string[] = [];
  const job = readMetadata(dispatchMetadataSchema, dispatchMetadata, 'dispatch metadata', 'dispatch', issues);
  const room = readMetadata(roomMetadataSchema, roomMetadata, 'room metadata', 'room', issues);
  const dir = job.fields.direction ?? room.fields.direction;
  const from = job.from ?? room.from;
  const to = job.to ?? room.to;
  const callSid = job.fields.callSid ?? room.fields.callSid;
  // Metadata the bridge wrote names its phone participant exactly as the bridge does; otherwise
  // only an E.164 number does, and without one the agent takes whoever joins first.
  const bridgeCall = roomMetadataSchema.safeParse({
    callSid,
    direction: dir,
    from: job.fields.from ?? room.fields.from,
    to: job.fields.to ?? room.fields.to,
  });
  const remoteNumber = dir === 'outbound' ? to : from;
  return {
    callSid,
    direction: dir,
    remoteNumber,
    ourNumber: dir === 'outbound' ? from : to,
    task: job.fields.task,
    instructions: job.fields.instructions,
    voice: job.fields.voice,
    route: job.fields.route,
    persona: job.fields.persona,
    greeting: job.fields.greeting,
    language: job.fields.language,
    tools: job.fields.tools,
    transferTargets: job.fields.transferTargets,
    ...(job.fields.resumed && { resumed: true }),
    ...(job.fields.history && job.fields.history.length > 0 && { history: job.fields.history }),
    resultSchema: job.fields.resultSchema,
    machineDetection: job.fields.machineDetection,
    voicemail: job.fields.voicemail,
    phoneIdentity: bridgeCall.success
      ? phoneIdentityFor(remotePartyOf(bridgeCall.data), bridgeCall.data.callSid)
      : phoneIdentityFor(remoteNumber),
    issues,
  };
}

/**
 * Fills gaps from the phone participant's attributes; metadata wins where both exist. Attributes
 * that break the contract are ignored and noted in `issues` (appended to the context's own).
 */
export function withParticipantAttributes(ctx: CallContext, attributes: Record<string, string>): CallContext {
  const issues: string[] = [];
  const attrs = lenient(phoneAttributesSchema, attributes, 'attributes', issues);
  const number = (value: string | undefined) => (e164.safeParse(value).success ? value : undefined);
  const dir = callDirectionSchema.safeParse(attrs[ATTR.callDirection]);
  return {
    ...ctx,
    callSid: ctx.callSid ?? (attrs[ATTR.callId] || undefined),
    direction: ctx.direction ?? (dir.success ? dir.data : undefined),
    remoteNumber: ctx.remoteNumber ?? number(attrs[ATTR.phoneNumber]),
    ourNumber: ctx.ourNumber ?? number(attrs[ATTR.trunkPhoneNumber]),
    issues: [...ctx.issues, ...issues],
  };
}

/** A phone number for logs: enough to correlate, not enough to identify (`+1555…4567`). */
export const maskNumber = maskPhoneNumber;
