import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { CallRoutes } from './routing/call-routes.js';
import { loadRoutesFile, RoutesFileError } from './routing/routes-file.js';
import { DEV_LIVEKIT_SECRET, EnvSchema } from './config-env.js';

export { BRIDGE_SETTINGS, EnvSchema } from './config-env.js';

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
    /**
     * Hz of the PCM the phone exchanges with LiveKit: 48000 (the bridge resamples 8 kHz ⇄ 48 kHz)
     * or 8000 (LiveKit resamples natively where its codec needs it; none in G.711 rooms).
     */
    phoneAudioSampleRate: e.PHONE_AUDIO_SAMPLE_RATE,
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
