/**
 * What the bridge writes when it sets up a call: the room metadata (`createCallRoom`) and the agent
 * dispatch metadata (`dispatchAgent`), both JSON objects. The agent reads them field by field
 * (apps/agent/src/call/context.ts): one bad field costs only itself, unknown fields are ignored.
 *
 * `from` and `to` are Twilio's `From` and `To` as the bridge received them: usually E.164 numbers,
 * but also `anonymous`, `client:…` or `sip:…`. Whoever needs a phone number checks for one.
 */
import { z } from 'zod';
import { personaFieldsSchema } from './persona.js';
import { resultSchemaSchema } from './result-schema.js';

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export const callDirectionSchema = z.enum(CALL_DIRECTIONS);
export type CallDirection = z.infer<typeof callDirectionSchema>;

export const VOICEMAIL_ACTIONS = ['leave_message', 'hang_up'] as const;
/** On a machine verdict: leave `message` after the beep then hang up, or hang up at once. */
export const voicemailPlanSchema = z.object({
  action: z.enum(VOICEMAIL_ACTIONS),
  /** The words to leave; without one the agent composes a short message from its task. */
  message: z.string().min(1).max(1000).optional(),
});
export type VoicemailPlan = z.infer<typeof voicemailPlanSchema>;

/** The room metadata: who is calling whom, on which Twilio call. */
export const roomMetadataSchema = z.object({
  callSid: z.string().min(1),
  direction: callDirectionSchema,
  from: z.string(),
  to: z.string(),
});
export type RoomMetadata = z.infer<typeof roomMetadataSchema>;

/**
 * Limits the agent accepts; the bridge's outbound API refuses longer values before they get here.
 * `historyChars` bounds the transcript a replacement agent is given (the most recent lines are
 * kept, see `recentHistory`): well inside LiveKit's metadata limit (512 KiB by default) and a small
 * share of the model's context.
 */
export const DISPATCH_LIMITS = {
  task: 4000,
  instructions: 20_000,
  voice: 64,
  historyChars: 16_000,
} as const;

/**
 * One line of the conversation so far, as the bridge recorded it: what the caller or the agent
 * said (the room's transcripts), or a tool call the agent made and its result (`tool`).
 */
export const historyLineSchema = z.object({
  speaker: z.enum(['caller', 'agent', 'tool']),
  text: z.string().min(1),
});
export type HistoryLine = z.infer<typeof historyLineSchema>;

const historyChars = (lines: readonly HistoryLine[]) => lines.reduce((n, l) => n + l.text.length, 0);

/**
 * The most recent lines of a transcript that fit in `DISPATCH_LIMITS.historyChars` (the text of
 * one line longer than that is cut at its start, keeping its end). Empty lines are dropped.
 */
export function recentHistory(
  lines: readonly HistoryLine[],
  maxChars: number = DISPATCH_LIMITS.historyChars,
): HistoryLine[] {
  const out: HistoryLine[] = [];
  let left = maxChars;
  for (let i = lines.length - 1; i >= 0 && left > 0; i--) {
    const line = lines[i]!;
    const text = line.text.trim();
    if (!text) continue;
    const kept = text.length <= left ? text : text.slice(text.length - left);
    out.unshift({ speaker: line.speaker, text: kept });
    left -= kept.length;
  }
  return out;
}

/**
 * The dispatch metadata: the room metadata plus this job's task, its persona (the call's route,
 * persona.ts), and whether it replaces a lost agent.
 */
export const dispatchMetadataSchema = roomMetadataSchema.extend({
  ...personaFieldsSchema.shape,
  /** What the agent should get done on this call (outbound calls placed through the API). */
  task: z.string().max(DISPATCH_LIMITS.task).optional(),
  /** Extra instructions for this call only. */
  instructions: z.string().max(DISPATCH_LIMITS.instructions).optional(),
  /** Voice override for this call. */
  voice: z.string().min(1).max(DISPATCH_LIMITS.voice).optional(),
  /**
   * The shape of the task's result (a JSON Schema subset, see result-schema.ts): the agent offers
   * the model a `report_result` tool with these parameters and reports through RPC `report_result`.
   */
  resultSchema: resultSchemaSchema.optional(),
  /**
   * The call was placed with answering machine detection: a verdict will arrive in the phone
   * participant's `callbridge.answeredBy` attribute. The agent holds its greeting (and does not
   * listen) until it does, so it never talks over a voicemail greeting.
   */
  machineDetection: z.boolean().optional(),
  /** What to do when a machine answers (the API request's `voicemail`, or the bridge's defaults). */
  voicemail: voicemailPlanSchema.optional(),
  /** Set when the bridge dispatches a new agent because the first one left mid-call. */
  resumed: z.boolean().optional(),
  /**
   * With `resumed`: the conversation so far (both sides and the tool calls, oldest first, the most recent
   * `DISPATCH_LIMITS.historyChars` characters), so the new agent continues it.
   */
  history: z
    .array(historyLineSchema)
    .refine((lines) => historyChars(lines) <= DISPATCH_LIMITS.historyChars, {
      message: `history is longer than ${DISPATCH_LIMITS.historyChars} characters`,
    })
    .optional(),
});
export type DispatchMetadata = z.infer<typeof dispatchMetadataSchema>;
