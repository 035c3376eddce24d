/**
 * The agent worker's configuration: every setting comes from the environment, is validated once
 * at start, and a bad value stops the process with a message saying what to set.
 * apps/agent/README.md documents each variable; keep the two in step.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BUSINESS_TOOL_NAMES } from './tools/business/names.js';

export const DEFAULT_INSTRUCTIONS = [
  'You are a friendly, efficient voice assistant answering a phone call.',
  'Speak in short sentences; the caller is on a phone line, so never use lists, markdown or URLs.',
  'If you need a number, a date or a name, repeat it back to confirm.',
  'When the caller is done, say goodbye and use the end_call tool.',
].join(' ');

export const DEFAULT_GREETING = 'Greet the caller in one short sentence and ask how you can help.';

const seconds = (fallback: number) => z.coerce.number().min(0).default(fallback);
const onOff = (fallback: 'on' | 'off') =>
  z
    .enum(['on', 'off', 'true', 'false', '1', '0'])
    .default(fallback)
    .transform((v) => v === 'on' || v === 'true' || v === '1');
/** A variable that must be set; the message says what to set it to. */
const required = (hint: string) => z.string({ error: hint }).min(1, hint);
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +15551234567');

/**
 * Every environment variable the worker reads, with its default: the one declaration of each
 * setting (`.env.example` and the README table list them all; test/env-example.test.ts checks).
 */
export const envSchema = z
  .object({
    LIVEKIT_URL: z.url({ protocol: /^(wss?|https?)$/ }).default('ws://127.0.0.1:7880'),
    LIVEKIT_API_KEY: required('set LIVEKIT_API_KEY (the key in livekit.yaml, e.g. devkey locally)'),
    LIVEKIT_API_SECRET: required('set LIVEKIT_API_SECRET (the secret paired with LIVEKIT_API_KEY)'),
    AGENT_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "-", "_" and "." only')
      .default('callbridge-agent'),

    OPENAI_API_KEY: required(
      'set OPENAI_API_KEY (any non-empty value when OPENAI_BASE_URL points at the simulator)',
    ),
    OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    OPENAI_MODEL: z.string().min(1).default('gpt-realtime'),
    OPENAI_VOICE: z.string().min(1).default('marin'),
    OPENAI_TRANSCRIPTION_MODEL: z.string().default('gpt-4o-mini-transcribe'),

    AGENT_INSTRUCTIONS: z.string().optional(),
    AGENT_INSTRUCTIONS_FILE: z.string().optional(),
    AGENT_GREETING: onOff('on'),
    AGENT_GREETING_INSTRUCTIONS: z.string().min(1).default(DEFAULT_GREETING),

    TURN_DETECTION: z.enum(['server_vad', 'semantic_vad']).default('server_vad'),
    VAD_THRESHOLD: z.coerce.number().min(0).max(1).optional(),
    VAD_PREFIX_PADDING_MS: z.coerce.number().int().min(0).optional(),
    VAD_SILENCE_DURATION_MS: z.coerce.number().int().min(0).optional(),
    SEMANTIC_VAD_EAGERNESS: z.enum(['auto', 'low', 'medium', 'high']).optional(),

    MAX_CALL_DURATION_S: seconds(1800),
    SILENCE_REPROMPT_S: seconds(15),
    SILENCE_MAX_REPROMPTS: z.coerce.number().int().min(0).default(2),

    AEC_WARMUP_MS: z.coerce.number().int().min(0).optional(),
    MAX_CALLS_PER_WORKER: z.coerce.number().int().min(1).default(8),
    AGENT_IDLE_PROCESSES: z.coerce.number().int().min(1).default(1),
    AGENT_PROCESS_INIT_TIMEOUT_S: z.coerce.number().min(1).default(30),
    DRAIN_TIMEOUT_S: seconds(1800),
    TRANSFER_ALLOWLIST: z.string().default(''),
    AGENT_TOOLS: z.string().default(''),

    HEALTH_HOST: z.string().default('0.0.0.0'),
    HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.AGENT_INSTRUCTIONS !== undefined && env.AGENT_INSTRUCTIONS_FILE !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_INSTRUCTIONS_FILE'],
        message: 'set either AGENT_INSTRUCTIONS or AGENT_INSTRUCTIONS_FILE, not both',
      });
    }
    const vadKnobs = ['VAD_THRESHOLD', 'VAD_PREFIX_PADDING_MS', 'VAD_SILENCE_DURATION_MS'] as const;
    if (env.TURN_DETECTION === 'semantic_vad') {
      for (const knob of vadKnobs) {
        if (env[knob] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [knob],
            message: `${knob} only applies to TURN_DETECTION=server_vad; unset it or switch turn detection`,
          });
        }
      }
    } else if (env.SEMANTIC_VAD_EAGERNESS !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEMANTIC_VAD_EAGERNESS'],
        message: 'SEMANTIC_VAD_EAGERNESS only applies to TURN_DETECTION=semantic_vad',
      });
    }
    for (const name of splitList(env.AGENT_TOOLS)) {
      if (!(BUSINESS_TOOL_NAMES as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['AGENT_TOOLS'],
          message: `no business tool named "${name}"; available: ${BUSINESS_TOOL_NAMES.join(', ')}`,
        });
      }
    }
    for (const number of splitList(env.TRANSFER_ALLOWLIST)) {
      if (!e164.safeParse(number).success) {
        ctx.addIssue({
          code: 'custom',
          path: ['TRANSFER_ALLOWLIST'],
          message: `"${number}" is not an E.164 number like +15551234567`,
        });
      }
    }
  });

/** The names of the agent's settings (its environment variables). */
export const AGENT_SETTINGS: readonly string[] = Object.keys(envSchema.shape);

/**
 * The agent's configuration: the environment above mapped to the fields the worker reads. Runs
 * only when every variable is valid; what a field means is in apps/agent/README.md.
 */
const configSchema = envSchema.transform((e, ctx) => {
  const instructions = readInstructions(e.AGENT_INSTRUCTIONS, e.AGENT_INSTRUCTIONS_FILE);
  if (!instructions.ok) {
    ctx.issues.push({
      code: 'custom',
      path: ['AGENT_INSTRUCTIONS_FILE'],
      message: instructions.problem,
      input: e.AGENT_INSTRUCTIONS_FILE,
    });
  }
  return {
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    agentName: e.AGENT_NAME,
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      voice: e.OPENAI_VOICE,
      /** Input transcription model; undefined turns caller transcripts off. */
      transcriptionModel: ['', 'off', 'none'].includes(e.OPENAI_TRANSCRIPTION_MODEL)
        ? undefined
        : e.OPENAI_TRANSCRIPTION_MODEL,
    },
    instructions: instructions.ok ? instructions.text : '',
    greeting: { enabled: e.AGENT_GREETING, instructions: e.AGENT_GREETING_INSTRUCTIONS },
    // The knobs of the other mode are refused above, so each mode's defaults live here.
    turnDetection:
      e.TURN_DETECTION === 'semantic_vad'
        ? { type: e.TURN_DETECTION, eagerness: e.SEMANTIC_VAD_EAGERNESS ?? 'auto' }
        : {
            type: e.TURN_DETECTION,
            threshold: e.VAD_THRESHOLD ?? 0.5,
            prefixPaddingMs: e.VAD_PREFIX_PADDING_MS ?? 300,
            silenceDurationMs: e.VAD_SILENCE_DURATION_MS ?? 500,
          },
    /** 0 = no limit. */
    maxCallDurationMs: e.MAX_CALL_DURATION_S * 1000,
    /** 0 = never reprompt. */
    silenceRepromptMs: e.SILENCE_REPROMPT_S * 1000,
    silenceMaxReprompts: e.SILENCE_MAX_REPROMPTS,
    /**
     * LiveKit Agents' echo-canceller warm-up: for this long into the agent's first utterance the
     * caller's audio is replaced by silence (no barge-in, words lost). undefined = framework default
     * (3000 ms); 0 = off.
     */
    aecWarmupMs: e.AEC_WARMUP_MS,
    maxCallsPerWorker: e.MAX_CALLS_PER_WORKER,
    idleProcesses: e.AGENT_IDLE_PROCESSES,
    /** How long a call process may take to load before LiveKit Agents kills it and starts another. */
    processInitTimeoutMs: e.AGENT_PROCESS_INIT_TIMEOUT_S * 1000,
    drainTimeoutMs: e.DRAIN_TIMEOUT_S * 1000,
    transferAllowlist: splitList(e.TRANSFER_ALLOWLIST),
    /** Business tools offered on every call (AGENT_TOOLS); none by default. */
    businessTools: splitList(e.AGENT_TOOLS),
    health: { host: e.HEALTH_HOST, port: e.HEALTH_PORT },
    logLevel: e.LOG_LEVEL,
  };
});

/** What the worker reads; each setting is declared once, in the schemas above. */
export type AgentConfig = z.output<typeof configSchema>;

export type TurnDetectionConfig = AgentConfig['turnDetection'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Reads and validates the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  // Empty variables (e.g. `FOO=` in a compose file) mean "not set", so defaults apply.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`invalid agent configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

function readInstructions(
  inline: string | undefined,
  file: string | undefined,
): { ok: true; text: string } | { ok: false; problem: string } {
  if (inline !== undefined) return { ok: true, text: inline };
  if (file === undefined) return { ok: true, text: DEFAULT_INSTRUCTIONS };
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    return { ok: false, problem: `${file} cannot be read: ${(err as Error).message}` };
  }
  return text ? { ok: true, text } : { ok: false, problem: `${file} is empty` };
}
