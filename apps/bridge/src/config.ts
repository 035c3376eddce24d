import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MIN_STREAM_TOKEN_SECRET_BYTES } from '@callbridge/twilio-media';
import { z } from 'zod';
import type { CallRoutes } from './routing/call-routes.js';
import { loadRoutesFile, RoutesFileError } from './routing/routes-file.js';

/** The development secret from livekit.yaml; refused in production. */
const DEV_LIVEKIT_SECRET = 'secret-for-local-development-only-change-me';

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
  // Past its CPU knee a bridge loses every call's audio at once (README, Performance), so the
  // default sits near what bench:calls measured on 2 cores; size it from bench:calls on your box.
  MAX_CONCURRENT_CALLS: z.coerce.number().int().min(1).default(25),
  // Adaptive admission (src/calls/admission.ts): under MAX_CONCURRENT_CALLS, new calls are also
  // refused while a measured health signal stays over its mark. 0 turns one signal off.
  ADMISSION_ADAPTIVE: z.stringbool().default(true),
  ADMISSION_MAX_LOOP_LAG_MS: z.coerce.number().min(0).default(50),
  ADMISSION_MAX_CPU_PCT: z.coerce.number().min(0).default(85),
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

/** Marks an issue as a refusal of unsafe settings (every value valid, the combination not). */
const REFUSAL = { refusal: true };

/**
 * The bridge's configuration: the environment above, checked for unsafe combinations, mapped to
 * the fields the app reads. Runs only when every variable is valid.
 */
const ConfigSchema = EnvSchema.transform((e, ctx) => {
  const production = e.NODE_ENV === 'production';
  const refuse = (message: string) => ctx.issues.push({ code: 'custom', message, input: e, params: REFUSAL });
  if (e.TWILIO_VALIDATE_SIGNATURES && !e.TWILIO_AUTH_TOKEN) {
    refuse(
      'TWILIO_AUTH_TOKEN is empty while TWILIO_VALIDATE_SIGNATURES is on: set it from the Twilio console ' +
        '(or TWILIO_VALIDATE_SIGNATURES=false for local experiments only)',
    );
  }
  if (production && !e.TWILIO_VALIDATE_SIGNATURES) {
    refuse('TWILIO_VALIDATE_SIGNATURES=false is refused when NODE_ENV=production');
  }
  if (production && !e.PUBLIC_URL) {
    refuse('PUBLIC_URL must be set in production (the https URL Twilio calls, used for signatures)');
  }
  if (production && e.LIVEKIT_API_SECRET === DEV_LIVEKIT_SECRET) {
    refuse('LIVEKIT_API_SECRET is the development secret from livekit.yaml; set a real one');
  }
  if (production && e.PUBLIC_URL?.startsWith('http://')) {
    refuse('PUBLIC_URL must be https in production (Twilio media streams need wss://)');
  }
  if (
    e.OUTBOUND_ALLOWLIST.length > 0 &&
    (!e.OUTBOUND_FROM || !e.TWILIO_ACCOUNT_SID || !e.TWILIO_AUTH_TOKEN)
  ) {
    refuse(
      'OUTBOUND_ALLOWLIST is set, so outbound calls are on: they also need OUTBOUND_FROM (your Twilio number), ' +
        'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
    );
  }
  if (production && e.CALLBACK_ALLOW_INSECURE) {
    refuse(
      'CALLBACK_ALLOW_INSECURE=true is refused when NODE_ENV=production (it lets callbacks reach http ' +
        'and internal addresses)',
    );
  }
  if (e.CALLBACK_ALLOWED_HOSTS.length > 0 && !e.CALLBACK_SECRET) {
    refuse('CALLBACK_ALLOWED_HOSTS is set, so callbacks are on: they also need CALLBACK_SECRET to sign them');
  }
  if (e.CALLBACK_RETRY_MAX_MS < e.CALLBACK_RETRY_BASE_MS) {
    refuse('CALLBACK_RETRY_MAX_MS must be at least CALLBACK_RETRY_BASE_MS');
  }

  if (production && e.CONSOLE_USERS.length > 0 && !e.CONSOLE_SESSION_SECRET) {
    refuse(
      'CONSOLE_USERS is set, so the operator console is on: in production it needs CONSOLE_SESSION_SECRET ' +
        '(at least 32 characters, e.g. openssl rand -hex 32)',
    );
  }

  let routes: CallRoutes | undefined;
  if (e.ROUTES_FILE) {
    try {
      routes = loadRoutesFile(e.ROUTES_FILE, { transferAllowlist: e.TRANSFER_ALLOWLIST });
    } catch (err) {
      if (!(err instanceof RoutesFileError)) throw err;
      refuse(err.message);
    }
  }
  if (e.RECORDING_NOTICE && !e.RECORD_CALLS) {
    refuse(
      'RECORDING_NOTICE is set but RECORD_CALLS is off: callers would be told of a recording that is not made',
    );
  }

  /** Public base URL without a trailing slash, e.g. https://bridge.example.com. */
  const publicUrl = (e.PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, '');
  return {
    production,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    /** The Media Streams URL handed to Twilio (wss:// for https public URLs). */
    streamUrl: `${publicUrl.replace(/^http/, 'ws')}/twilio/media`,
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    agentName: e.AGENT_NAME,
    /** The routes of ROUTES_FILE; undefined: one persona, AGENT_NAME's. */
    routes,
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      validateSignatures: e.TWILIO_VALIDATE_SIGNATURES,
      apiBaseUrl: e.TWILIO_API_BASE_URL,
    },
    // A generated secret only works while one bridge instance both answers and streams a call.
    streamToken: {
      secret: e.STREAM_TOKEN_SECRET ?? randomBytes(32).toString('base64url'),
      ttlMs: e.STREAM_TOKEN_TTL_S * 1000,
      generated: !e.STREAM_TOKEN_SECRET,
    },
    streamStartTimeoutMs: e.STREAM_START_TIMEOUT_S * 1000,
    answerWaitForAgentMs: e.ANSWER_WAIT_FOR_AGENT_S * 1000,
    /** The phone joins the call's room at the webhook (see livekit/early-phone.ts), not at the stream's start. */
    phoneJoinWhileRinging: e.PHONE_JOIN_WHILE_RINGING,
    maxConcurrentCalls: e.MAX_CONCURRENT_CALLS,
    admission: {
      adaptive: e.ADMISSION_ADAPTIVE,
      limits: {
        loop_lag: e.ADMISSION_MAX_LOOP_LAG_MS,
        cpu: e.ADMISSION_MAX_CPU_PCT,
        uplink_drops: e.ADMISSION_MAX_UPLINK_DROP_PCT,
        uplink_backlog: e.ADMISSION_MAX_UPLINK_BACKLOG_MS,
      },
      sustainMs: e.ADMISSION_SUSTAIN_S * 1000,
    },
    drainTimeoutMs: e.DRAIN_TIMEOUT_S * 1000,
    transferAllowlist: e.TRANSFER_ALLOWLIST,
    transfer: { ringTimeoutS: e.TRANSFER_RING_TIMEOUT_S, confirm: e.TRANSFER_CONFIRM },
    busyMessage: e.BUSY_MESSAGE,
    errorMessage: e.ERROR_MESSAGE,
    agentLostMessage: e.AGENT_LOST_MESSAGE,
    agentRejoinGraceMs: e.AGENT_REJOIN_GRACE_S * 1000,
    agentRejoinTimeoutMs: e.AGENT_REJOIN_TIMEOUT_S * 1000,
    livekitReconnectTimeoutMs: e.LIVEKIT_RECONNECT_TIMEOUT_S * 1000,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    logLevel: e.LOG_LEVEL,
    records: { databaseUrl: e.DATABASE_URL, sqlitePath: e.SQLITE_PATH, instanceId: e.BRIDGE_INSTANCE_ID },
    /** Bearer keys accepted by /api; empty turns the API off. */
    apiKeys: e.API_KEY,
    outbound: {
      from: e.OUTBOUND_FROM,
      /** E.164 numbers or `+prefix*`; empty means outbound calls are off. */
      allowlist: e.OUTBOUND_ALLOWLIST,
      limits: {
        perNumberHour: e.OUTBOUND_LIMIT_PER_NUMBER_HOUR,
        perNumberDay: e.OUTBOUND_LIMIT_PER_NUMBER_DAY,
        globalHour: e.OUTBOUND_LIMIT_GLOBAL_HOUR,
        globalDay: e.OUTBOUND_LIMIT_GLOBAL_DAY,
      },
      machineDetection: e.OUTBOUND_MACHINE_DETECTION,
      ringTimeoutS: e.OUTBOUND_RING_TIMEOUT_S,
      machineDetectionAsync: e.OUTBOUND_MACHINE_DETECTION_ASYNC,
      /** Default for calls whose request names no `voicemail`. */
      voicemail: { action: e.VOICEMAIL_ACTION, message: e.VOICEMAIL_MESSAGE },
    },
    /** Result callbacks; an empty host list turns them off. */
    callbacks: {
      secret: e.CALLBACK_SECRET,
      allowedHosts: e.CALLBACK_ALLOWED_HOSTS,
      allowInsecure: e.CALLBACK_ALLOW_INSECURE,
      maxAttempts: e.CALLBACK_MAX_ATTEMPTS,
      retryBaseMs: e.CALLBACK_RETRY_BASE_MS,
      retryMaxMs: e.CALLBACK_RETRY_MAX_MS,
      timeoutMs: e.CALLBACK_TIMEOUT_MS,
    },
    console: {
      /** name → password; empty turns the console's login off. */
      users: new Map(e.CONSOLE_USERS.map((u) => [u.slice(0, u.indexOf(':')), u.slice(u.indexOf(':') + 1)])),
      sessionSecret: e.CONSOLE_SESSION_SECRET ?? randomBytes(32).toString('base64url'),
      sessionTtlMs: e.CONSOLE_SESSION_TTL_S * 1000,
      listenTokenTtlS: e.CONSOLE_LISTEN_TOKEN_TTL_S,
      browserLivekitUrl: e.CONSOLE_LIVEKIT_URL ?? e.LIVEKIT_URL,
      /** The built console (static files), served at /console/. */
      dir: e.CONSOLE_DIR ?? fileURLToPath(new URL('../../console/dist', import.meta.url)),
      /** Session cookies carry `Secure` (HTTPS only) in production. */
      secureCookie: production,
    },
    /** Two-channel WAV per call (off by default); the notice is said before the call connects. */
    recordings: {
      enabled: e.RECORD_CALLS,
      dir: e.RECORDINGS_DIR,
      retentionDays: e.RECORDINGS_RETENTION_DAYS,
      notice: e.RECORD_CALLS ? e.RECORDING_NOTICE : undefined,
    },
  };
});

/** What the bridge reads; each setting is declared once, in the schema above. */
export type BridgeConfig = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and checks the environment; throws ConfigError telling the operator what to change. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  // An empty variable (`FOO=` in .env, `${FOO:-}` in compose) means unset: its default applies.
  const parsed = ConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (parsed.success) return parsed.data;
  const { issues } = parsed.error;
  // Refusals come only once every variable is valid (the transform runs last), so never both.
  if (issues.some((i) => i.code === 'custom' && i.params?.refusal === true)) {
    throw new ConfigError(`refusing to start:\n  ${issues.map((i) => i.message).join('\n  ')}`);
  }
  const lines = issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid bridge configuration:\n${lines.join('\n')}\nSee .env.example.`);
}
