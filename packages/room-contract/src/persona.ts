/**
 * A call's persona, as a route of the bridge's routes file (ROUTES_FILE) gives it to the agent in
 * the dispatch metadata: which instructions, greeting, voice, language, business tools and transfer
 * targets apply to calls on one number. The bridge validates the file against these names; the
 * agent applies what it is given within what its own configuration allows.
 */
import { z } from 'zod';

/**
 * The business tools an agent build may offer (apps/agent/src/tools/business): the names AGENT_TOOLS
 * and a route's `tools` may use. Declared here so the bridge can check a routes file without
 * importing the agent.
 */
export const BUSINESS_TOOL_NAMES = ['check_eligibility'] as const;
export type BusinessToolName = (typeof BUSINESS_TOOL_NAMES)[number];

/** The OpenAI Realtime voices (platform.openai.com/docs/guides/realtime, "voice"). */
export const REALTIME_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'cedar',
  'coral',
  'echo',
  'marin',
  'sage',
  'shimmer',
  'verse',
] as const;

export const PERSONA_LIMITS = {
  route: 100,
  persona: 20_000,
  greeting: 2_000,
  tools: 32,
  transferTargets: 32,
} as const;

/** An ISO 639-1 language code (`en`, `es`, `de`): what OpenAI's input transcription accepts. */
export const languageCodeSchema = z
  .string()
  .regex(/^[a-z]{2}$/, 'must be an ISO 639-1 language code like "en" or "es"');

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +15551234567');

/** The persona fields of the dispatch metadata (each optional; absent means the worker's own setting). */
export const personaFieldsSchema = z.object({
  /** The route's name (the routes file's key or its `name`), for logs. */
  route: z.string().min(1).max(PERSONA_LIMITS.route).optional(),
  /** Replaces the worker's AGENT_INSTRUCTIONS for this call (the request's `instructions` still add to it). */
  persona: z.string().min(1).max(PERSONA_LIMITS.persona).optional(),
  /** Replaces the worker's AGENT_GREETING_INSTRUCTIONS: what the agent says first to a caller. */
  greeting: z.string().min(1).max(PERSONA_LIMITS.greeting).optional(),
  /** The language the agent speaks and transcribes in. */
  language: languageCodeSchema.optional(),
  /** The business tools to offer, by name: the agent offers those it has (AGENT_TOOLS) only. */
  tools: z.array(z.string().min(1).max(64)).max(PERSONA_LIMITS.tools).optional(),
  /** The numbers this call may be transferred to (a subset of TRANSFER_ALLOWLIST). */
  transferTargets: z.array(e164).max(PERSONA_LIMITS.transferTargets).optional(),
});
export type PersonaFields = z.infer<typeof personaFieldsSchema>;
