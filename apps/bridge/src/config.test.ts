import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageThrownBy } from '@callbridge/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const DEV_SECRET = 'secret-for-local-development-only-change-me';

const errorOf = (env: Record<string, string>): string => messageThrownBy(() => loadConfig(env), ConfigError);

describe('loadConfig (bridge)', () => {
  it('applies safe local defaults to every setting', () => {
    const {
      streamToken,
      console: consoleConfig,
      recordings,
      ...config
    } = loadConfig({ TWILIO_AUTH_TOKEN: 'token' });
    // Recording is off unless asked for; its files go under data/ like the SQLite file.
    expect(recordings).toEqual({
      enabled: false,
      dir: 'data/recordings',
      retentionDays: 30,
      notice: undefined,
    });
    expect(streamToken).toMatchObject({ ttlMs: 60_000, generated: true });
    expect(consoleConfig).toMatchObject({
      users: new Map(),
      sessionTtlMs: 43_200_000,
      listenTokenTtlS: 60,
      browserLivekitUrl: 'ws://127.0.0.1:7880',
      secureCookie: false,
    });
    expect(consoleConfig.sessionSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(consoleConfig.dir).toMatch(/apps\/console\/dist$/);
    expect(streamToken.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(config).toEqual({
      production: false,
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      streamUrl: 'ws://127.0.0.1:8080/twilio/media',
      livekit: { url: 'ws://127.0.0.1:7880', apiKey: 'devkey', apiSecret: DEV_SECRET },
      agentName: 'callbridge-agent',
      twilio: {
        accountSid: undefined,
        authToken: 'token',
        validateSignatures: true,
        apiBaseUrl: undefined,
      },
      streamStartTimeoutMs: 30_000,
      answerWaitForAgentMs: 2_000,
      phoneJoinWhileRinging: true,
      phoneAudioSampleRate: 48000,
      routes: undefined,
      maxConcurrentCalls: 25,
      admission: {
        adaptive: true,
        limits: { loop_lag: 50, cpu: 70, uplink_drops: 1, uplink_backlog: 120 },
        sustainMs: 2000,
      },
      drainTimeoutMs: 600_000,
      transferAllowlist: [],
      transfer: { ringTimeoutS: 20, confirm: true },
      busyMessage: 'Sorry, all of our lines are busy right now. Please call again in a few minutes. Goodbye.',
      errorMessage: 'Sorry, we cannot take your call right now. Please try again later. Goodbye.',
      agentLostMessage:
        'Sorry, our assistant is having technical trouble. Please call back in a few minutes. Goodbye.',
      agentRejoinGraceMs: 2000,
      agentRejoinTimeoutMs: 15_000,
      livekitReconnectTimeoutMs: 5000,
      maxMessageBytes: 65_536,
      logLevel: 'info',
      records: { databaseUrl: undefined, sqlitePath: 'data/callbridge.sqlite', instanceId: hostname() },
      apiKeys: [],
      outbound: {
        from: undefined,
        allowlist: [],
        limits: { perNumberHour: 5, perNumberDay: 20, globalHour: 20, globalDay: 100 },
        machineDetection: 'off',
        ringTimeoutS: 30,
        machineDetectionAsync: true,
        voicemail: { action: 'hang_up', message: undefined },
      },
      callbacks: {
        secret: undefined,
        allowedHosts: [],
        allowInsecure: false,
        maxAttempts: 6,
        retryBaseMs: 2000,
        retryMaxMs: 300_000,
        timeoutMs: 10_000,
      },
    });
  });

  it('maps each variable to its field, seconds to milliseconds and lists to arrays', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      PORT: '9000',
      PUBLIC_URL: 'https://bridge.example.com//',
      LIVEKIT_API_SECRET: 'x'.repeat(32),
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token',
      STREAM_TOKEN_SECRET: 's'.repeat(32),
      STREAM_TOKEN_TTL_S: '30',
      DRAIN_TIMEOUT_S: '1.5',
      TRANSFER_ALLOWLIST: ' +15551234567 , +15557654321 ',
      API_KEY: `${'k'.repeat(24)},${'m'.repeat(24)}`,
      OUTBOUND_ALLOWLIST: '+1555*',
      OUTBOUND_FROM: '+15550000000',
      ADMISSION_ADAPTIVE: 'false',
      ADMISSION_MAX_CPU_PCT: '0',
      ADMISSION_SUSTAIN_S: '1.5',
    });
    expect(c).toMatchObject({
      production: true,
      admission: { adaptive: false, limits: { cpu: 0, loop_lag: 50 }, sustainMs: 1500 },
      port: 9000,
      publicUrl: 'https://bridge.example.com',
      streamUrl: 'wss://bridge.example.com/twilio/media',
      streamToken: { secret: 's'.repeat(32), ttlMs: 30_000, generated: false },
      drainTimeoutMs: 1500,
      transferAllowlist: ['+15551234567', '+15557654321'],
      apiKeys: ['k'.repeat(24), 'm'.repeat(24)],
      outbound: { from: '+15550000000', allowlist: ['+1555*'] },
    });
  });

  it('treats an empty variable as unset, so its default applies', () => {
    const c = loadConfig({ TWILIO_AUTH_TOKEN: 'token', PORT: '', MAX_CONCURRENT_CALLS: '' });
    expect(c.port).toBe(8080);
    expect(c.maxConcurrentCalls).toBe(25);
  });

  it('names every invalid variable and points at .env.example', () => {
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', PORT: 'eighty', TRANSFER_ALLOWLIST: '555' })).toMatch(
      /^invalid bridge configuration:\n {2}PORT: .*\n {2}TRANSFER_ALLOWLIST\.0: must be an E\.164 number like \+15551234567\nSee \.env\.example\.$/,
    );
  });

  it('names the rates PHONE_AUDIO_SAMPLE_RATE takes', () => {
    for (const rate of ['16000', '44100', 'fast']) {
      expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', PHONE_AUDIO_SAMPLE_RATE: rate })).toContain(
        'PHONE_AUDIO_SAMPLE_RATE: must be 48000 (the bridge resamples) or 8000',
      );
    }
    expect(
      loadConfig({ TWILIO_AUTH_TOKEN: 'token', PHONE_AUDIO_SAMPLE_RATE: '8000' }).phoneAudioSampleRate,
    ).toBe(8000);
  });

  it('refuses signature checks without an auth token, saying what to set', () => {
    expect(errorOf({})).toBe(
      'refusing to start:\n  TWILIO_AUTH_TOKEN is empty while TWILIO_VALIDATE_SIGNATURES is on: set it from ' +
        'the Twilio console (or TWILIO_VALIDATE_SIGNATURES=false for local experiments only)',
    );
  });

  it('refuses unsafe production settings, listing every one', () => {
    expect(errorOf({ NODE_ENV: 'production', TWILIO_VALIDATE_SIGNATURES: 'false' })).toBe(
      [
        'refusing to start:',
        'TWILIO_VALIDATE_SIGNATURES=false is refused when NODE_ENV=production',
        'PUBLIC_URL must be set in production (the https URL Twilio calls, used for signatures)',
        'LIVEKIT_API_SECRET is the development secret from livekit.yaml; set a real one',
      ].join('\n  '),
    );
    expect(
      errorOf({
        NODE_ENV: 'production',
        TWILIO_AUTH_TOKEN: 'token',
        PUBLIC_URL: 'http://bridge.example.com',
        LIVEKIT_API_SECRET: 'x'.repeat(32),
      }),
    ).toBe('refusing to start:\n  PUBLIC_URL must be https in production (Twilio media streams need wss://)');
  });

  it('refuses a recording notice while recording is off, and keeps it when on', () => {
    const base = { TWILIO_AUTH_TOKEN: 'token', RECORDING_NOTICE: 'This call is recorded.' };
    expect(errorOf(base)).toBe(
      'refusing to start:\n  RECORDING_NOTICE is set but RECORD_CALLS is off: callers would be told of a ' +
        'recording that is not made',
    );
    expect(loadConfig({ ...base, RECORD_CALLS: 'true', RECORDINGS_DIR: '/var/rec' }).recordings).toEqual({
      enabled: true,
      dir: '/var/rec',
      retentionDays: 30,
      notice: 'This call is recorded.',
    });
  });

  it('refuses the console in production without a strong session secret', () => {
    const prod = {
      NODE_ENV: 'production',
      TWILIO_AUTH_TOKEN: 'token',
      PUBLIC_URL: 'https://bridge.example.com',
      LIVEKIT_API_SECRET: 'x'.repeat(32),
      CONSOLE_USERS: 'alice:a-long-password',
    };
    expect(errorOf(prod)).toBe(
      'refusing to start:\n  CONSOLE_USERS is set, so the operator console is on: in production it needs ' +
        'CONSOLE_SESSION_SECRET (at least 32 characters, e.g. openssl rand -hex 32)',
    );
    expect(errorOf({ ...prod, CONSOLE_SESSION_SECRET: 'short' })).toMatch(
      /CONSOLE_SESSION_SECRET: must be at least 32 characters/,
    );
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', CONSOLE_USERS: 'alice:short' })).toMatch(
      /the password at least 12 characters/,
    );
    const ok = loadConfig({ ...prod, CONSOLE_SESSION_SECRET: 's'.repeat(32) }).console;
    expect(ok).toMatchObject({ users: new Map([['alice', 'a-long-password']]), secureCookie: true });
  });

  it('refuses outbound calls without a caller ID and Twilio credentials', () => {
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', OUTBOUND_ALLOWLIST: '+1555*' })).toBe(
      'refusing to start:\n  OUTBOUND_ALLOWLIST is set, so outbound calls are on: they also need OUTBOUND_FROM ' +
        '(your Twilio number), TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
    );
  });

  it('refuses callbacks without a signing secret, and insecure callback targets in production', () => {
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', CALLBACK_ALLOWED_HOSTS: 'hooks.example.com' })).toBe(
      'refusing to start:\n  CALLBACK_ALLOWED_HOSTS is set, so callbacks are on: they also need CALLBACK_SECRET to sign them',
    );
    expect(
      errorOf({
        NODE_ENV: 'production',
        TWILIO_AUTH_TOKEN: 'token',
        PUBLIC_URL: 'https://bridge.example.com',
        LIVEKIT_API_SECRET: 'x'.repeat(32),
        CALLBACK_ALLOW_INSECURE: 'true',
      }),
    ).toMatch(/^refusing to start:\n {2}CALLBACK_ALLOW_INSECURE=true is refused when NODE_ENV=production/);
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', CALLBACK_ALLOWED_HOSTS: 'https://x.example.com/' })).toMatch(
      /CALLBACK_ALLOWED_HOSTS\.0: entries are host names/,
    );
    const c = loadConfig({
      TWILIO_AUTH_TOKEN: 'token',
      CALLBACK_SECRET: 'c'.repeat(32),
      CALLBACK_ALLOWED_HOSTS: 'hooks.example.com, *.example.org,127.0.0.1',
    });
    expect(c.callbacks.allowedHosts).toEqual(['hooks.example.com', '*.example.org', '127.0.0.1']);
  });

  it('reads ROUTES_FILE, and refuses to start on a bad one with its line and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
    const file = join(dir, 'routes.yaml');
    writeFileSync(
      file,
      'default:\n  agent: main\nnumbers:\n  "+15550100001":\n    agent: sales\n    voice: robot\n',
    );
    expect(errorOf({ TWILIO_AUTH_TOKEN: 'token', ROUTES_FILE: file })).toMatch(
      /^refusing to start:\n {2}ROUTES_FILE .*routes\.yaml is invalid:\n {2}routes\.yaml line 6: numbers\."\+15550100001"\.voice: /,
    );
    writeFileSync(file, 'default:\n  agent: main\nnumbers:\n  "+15550100001":\n    agent: sales\n');
    const config = loadConfig({ TWILIO_AUTH_TOKEN: 'token', ROUTES_FILE: file });
    expect(config.routes?.numbers.get('+15550100001')?.agent).toBe('sales');
    expect(loadConfig({ TWILIO_AUTH_TOKEN: 'token' }).routes).toBeUndefined();
  });
});
