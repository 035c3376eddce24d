import { hostname } from 'node:os';
import { MIN_STREAM_TOKEN_SECRET_BYTES } from '@callbridge/twilio-media';
import { z } from 'zod';

/** The development secret from livekit.yaml; refused in production. */
export const DEV_LIVEKIT_SECRET = 'secret-for-local-development-only-change-me';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +15551234567');
/** A comma-separated list in one variable; empty means none. */
const commaList = () =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );

/**
 * Every environment variable the bridge reads, with its default: the one declaration of each
 * setting (`.env.example` and the README table list them all; test/env-example.test.ts checks).
 */
export const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Base URL Twilio uses to reach us; webhook signatures are computed over it. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LIVEKIT_URL: z.url({ protocol: /^(wss?|https?)$/ }).default('ws://127.0.0.1:7880'),
  LIVEKIT_API_KEY: z.string().min(1).default('devkey'),
  LIVEKIT_API_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_LIVEKIT_SECRET),
  AGENT_NAME: z.string().min(1).default('callbridge-agent'),
  /** Per-number personas (docs/routing.md); unset: every call goes to AGENT_NAME's agent. */
  ROUTES_FILE: z.string().min(1).optional(),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC + 32 hex digits')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_VALIDATE_SIGNATURES: z.stringbool().default(true),
  /** Override of Twilio's REST API base (e.g. a simulator); empty means api.twilio.com. */
  TWILIO_API_BASE_URL: z.url().optional(),
  STREAM_TOKEN_SECRET: z.string().min(MIN_STREAM_TOKEN_SECRET_BYTES).optional(),
  STREAM_TOKEN_TTL_S: z.coerce.number().int().min(5).max(600).default(60),
  STREAM_START_TIMEOUT_S: z.coerce.number().positive().default(30),
  /** An inbound call rings until the agent's session is up in its room, at most this long; 0 answers at once. */
  ANSWER_WAIT_FOR_AGENT_S: z.coerce.number().min(0).max(10).default(2),
  PHONE_JOIN_WHILE_RINGING: z.stringbool().default(true),
  /** The rate the phone hands its audio to LiveKit and reads the agent's at (docs/performance.md). */
  PHONE_AUDIO_SAMPLE_RATE: z
    .enum(['8000', '48000'], {
      error: 'must be 48000 (the bridge resamples) or 8000 (LiveKit does; for G.711 rooms, see .env.example)',
    })
    .default('48000')
    .transform(Number),
  // Past its CPU knee a bridge loses every call's audio at once (README, Performance), so the
  // default sits near what bench:calls measured on 2 cores; size it from bench:calls on your box.
  MAX_CONCURRENT_CALLS: z.coerce.number().int().min(1).default(25),
  // Adaptive admission (src/calls/admission.ts): under MAX_CONCURRENT_CALLS, new calls are also
  // refused while a measured health signal stays over its mark. 0 turns one signal off.
  ADMISSION_ADAPTIVE: z.stringbool().default(true),
  ADMISSION_MAX_LOOP_LAG_MS: z.coerce.number().min(0).default(50),
  ADMISSION_MAX_CPU_PCT: z.coerce.number().min(0).default(70),
  ADMISSION_MAX_UPLINK_DROP_PCT: z.coerce.number().min(0).max(100).default(1),
  ADMISSION_MAX_UPLINK_BACKLOG_MS: z.coerce.number().min(0).default(120),
  ADMISSION_SUSTAIN_S: z.coerce.number().min(0.5).max(60).default(2),
  DRAIN_TIMEOUT_S: z.coerce.number().min(0).default(600),
  TRANSFER_ALLOWLIST: commaList().pipe(z.array(e164)),
  /** How long a transfer rings the human before the caller comes back to the agent (`<Dial timeout>`). */
  TRANSFER_RING_TIMEOUT_S: z.coerce.number().int().min(1).max(600).default(20),
  /** Ask the human to press 1 after the summary (off: connect once it has played). */
  TRANSFER_CONFIRM: z.stringbool().default(true),
  BUSY_MESSAGE: z
    .string()
    .default('Sorry, all of our lines are busy right now. Please call again in a few minutes. Goodbye.'),
  ERROR_MESSAGE: z
    .string()
    .default('Sorry, we cannot take your call right now. Please try again later. Goodbye.'),
  AGENT_LOST_MESSAGE: z
    .string()
    .default('Sorry, our assistant is having technical trouble. Please call back in a few minutes. Goodbye.'),
  /** After the agent leaves mid-call: wait this long for LiveKit to bring one back, then re-dispatch. */
  AGENT_REJOIN_GRACE_S: z.coerce.number().min(0).default(2),
  /** ...and give up (apology, hang up) if no agent is back this long after it left. */
  AGENT_REJOIN_TIMEOUT_S: z.coerce.number().positive().default(15),
  /** How long the caller may sit in silence while the bridge tries to reach LiveKit again. */
  LIVEKIT_RECONNECT_TIMEOUT_S: z.coerce.number().positive().default(5),
  MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Call records and the API (src/records, src/api, src/outbound).
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave it empty for the SQLite file)')
    .optional(),
  SQLITE_PATH: z.string().min(1).default('data/callbridge.sqlite'),
  BRIDGE_INSTANCE_ID: z.string().min(1).max(200).default(hostname()),
  API_KEY: commaList().pipe(
    z.array(z.string().min(24, 'each API key must be at least 24 characters (openssl rand -hex 24)')),
  ),
  OUTBOUND_FROM: e164.optional(),
  OUTBOUND_ALLOWLIST: commaList().pipe(
    z.array(z.string().regex(/^\+[1-9]\d{0,14}\*?$/, 'entries are E.164 numbers, or a prefix ending in *')),
  ),
  OUTBOUND_LIMIT_PER_NUMBER_HOUR: z.coerce.number().int().min(0).default(5),
  OUTBOUND_LIMIT_PER_NUMBER_DAY: z.coerce.number().int().min(0).default(20),
  OUTBOUND_LIMIT_GLOBAL_HOUR: z.coerce.number().int().min(0).default(20),
  OUTBOUND_LIMIT_GLOBAL_DAY: z.coerce.number().int().min(0).default(100),
  OUTBOUND_MACHINE_DETECTION: z.enum(['off', 'Enable', 'DetectMessageEnd']).default('off'),
  OUTBOUND_RING_TIMEOUT_S: z.coerce.number().int().min(5).max(600).default(30),
  /** Asynchronous detection: the call connects at once, the verdict reaches the agent mid-call. */
  OUTBOUND_MACHINE_DETECTION_ASYNC: z.stringbool().default(true),
  VOICEMAIL_ACTION: z.enum(['leave_message', 'hang_up']).default('hang_up'),
  VOICEMAIL_MESSAGE: z.string().min(1).max(1000).optional(),
  // Task results POSTed to the API caller's callback_url (src/callbacks).
  CALLBACK_SECRET: z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)').optional(),
  CALLBACK_ALLOWED_HOSTS: commaList().pipe(
    z.array(
      z
        .string()
        .regex(
          /^(\*\.)?[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/,
          'entries are host names, *.domain wildcards or IP addresses (no scheme, port or path)',
        ),
    ),
  ),
  CALLBACK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  CALLBACK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(2000),
  CALLBACK_RETRY_MAX_MS: z.coerce.number().int().min(10).default(300_000),
  CALLBACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** http and loopback/private/link-local callback targets: tests and local development only. */
  CALLBACK_ALLOW_INSECURE: z.stringbool().default(false),
  // The operator console (apps/console, src/api/operator): see apps/bridge/README.md#the-operator-console.
  CONSOLE_USERS: commaList().pipe(
    z.array(
      z
        .string()
        .regex(
          /^[A-Za-z0-9._-]{1,64}:.{12,}$/,
          'entries are name:password, the password at least 12 characters',
        ),
    ),
  ),
  CONSOLE_SESSION_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (openssl rand -hex 32)')
    .optional(),
  CONSOLE_SESSION_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(43_200),
  /** The LiveKit URL operators' browsers connect to (listen-in, take-over); empty: LIVEKIT_URL. */
  CONSOLE_LIVEKIT_URL: z.url({ protocol: /^(wss?|https?)$/ }).optional(),
  CONSOLE_LISTEN_TOKEN_TTL_S: z.coerce.number().int().min(10).max(3600).default(60),
  /** The built console; empty: apps/console/dist of this checkout. */
  CONSOLE_DIR: z.string().min(1).optional(),
  // Call recordings (src/recordings): see apps/bridge/README.md#call-recordings.
  RECORD_CALLS: z.stringbool().default(false),
  RECORDINGS_DIR: z.string().min(1).default('data/recordings'),
  /** Recordings older than this are deleted (at start and hourly); 0 keeps them. */
  RECORDINGS_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(30),
  /** Said to the caller (TwiML `<Say>`) before the call is connected, where consent is required. */
  RECORDING_NOTICE: z.string().trim().min(1).max(1000).optional(),
});

/** The names of the bridge's settings (its environment variables). */
export const BRIDGE_SETTINGS: readonly string[] = Object.keys(EnvSchema.shape);
