import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageThrownBy } from '@callbridge/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_INSTRUCTIONS, loadConfig } from './config.js';

const required = { LIVEKIT_API_KEY: 'key', LIVEKIT_API_SECRET: 'secret', OPENAI_API_KEY: 'sk-x' };

const errorOf = (env: Record<string, string>): string => messageThrownBy(() => loadConfig(env), ConfigError);

describe('loadConfig', () => {
  it('applies safe local defaults', () => {
    const c = loadConfig(required);
    expect(c.livekit.url).toBe('ws://127.0.0.1:7880');
    expect(c.agentName).toBe('callbridge-agent');
    expect(c.openai).toMatchObject({ model: 'gpt-realtime', voice: 'marin', baseUrl: undefined });
    expect(c.instructions).toBe(DEFAULT_INSTRUCTIONS);
    expect(c.greeting.enabled).toBe(true);
    expect(c.turnDetection).toEqual({
      type: 'server_vad',
      threshold: 0.5,
      prefixPaddingMs: 300,
      silenceDurationMs: 500,
    });
    expect(c.maxCallsPerWorker).toBe(8);
    expect(c.processInitTimeoutMs).toBe(30_000);
    expect(loadConfig({ ...required, AGENT_PROCESS_INIT_TIMEOUT_S: '45' }).processInitTimeoutMs).toBe(45_000);
    expect(c.transferAllowlist).toEqual([]);
    expect(c.businessTools).toEqual([]);
    expect(c.aecWarmupMs).toBeUndefined();
    expect(c.health).toEqual({ host: '0.0.0.0', port: 8081 });
  });

  it('offers the business tools AGENT_TOOLS names, and refuses to start on an unknown one', () => {
    expect(loadConfig({ ...required, AGENT_TOOLS: 'check_eligibility' }).businessTools).toEqual([
      'check_eligibility',
    ]);
    const message = errorOf({ ...required, AGENT_TOOLS: 'check_eligibility, check_balance' });
    expect(message).toContain('AGENT_TOOLS');
    expect(message).toContain('no business tool named "check_balance"; available: check_eligibility');
  });

  it('names every missing secret at once, saying what to set', () => {
    const message = errorOf({});
    expect(message).toContain('LIVEKIT_API_KEY');
    expect(message).toContain('LIVEKIT_API_SECRET');
    expect(message).toContain('OPENAI_API_KEY: set OPENAI_API_KEY');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ ...required, OPENAI_BASE_URL: '', AGENT_NAME: '' }).agentName).toBe(
      'callbridge-agent',
    );
  });

  it('reads every knob', () => {
    const c = loadConfig({
      ...required,
      LIVEKIT_URL: 'wss://lk.example.com',
      OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1',
      OPENAI_VOICE: 'ash',
      OPENAI_TRANSCRIPTION_MODEL: 'off',
      AGENT_GREETING: 'off',
      VAD_THRESHOLD: '0.7',
      VAD_SILENCE_DURATION_MS: '800',
      MAX_CALL_DURATION_S: '60',
      SILENCE_REPROMPT_S: '0',
      MAX_CALLS_PER_WORKER: '3',
      AEC_WARMUP_MS: '0',
      TRANSFER_ALLOWLIST: '+15550001111, +442071234567',
    });
    expect(c.openai).toMatchObject({
      baseUrl: 'http://127.0.0.1:9999/v1',
      voice: 'ash',
      transcriptionModel: undefined,
    });
    expect(c.greeting.enabled).toBe(false);
    expect(c.turnDetection).toMatchObject({ threshold: 0.7, silenceDurationMs: 800 });
    expect(c.maxCallDurationMs).toBe(60_000);
    expect(c.silenceRepromptMs).toBe(0);
    expect(c.transferAllowlist).toEqual(['+15550001111', '+442071234567']);
    expect(c.aecWarmupMs).toBe(0);
  });

  it('reads instructions from a file, and refuses both sources at once', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agent-cfg-')), 'persona.txt');
    writeFileSync(file, '  You are Ada, the clinic receptionist.\n');
    expect(loadConfig({ ...required, AGENT_INSTRUCTIONS_FILE: file }).instructions).toBe(
      'You are Ada, the clinic receptionist.',
    );
    expect(errorOf({ ...required, AGENT_INSTRUCTIONS: 'x', AGENT_INSTRUCTIONS_FILE: file })).toContain(
      'either AGENT_INSTRUCTIONS or AGENT_INSTRUCTIONS_FILE',
    );
    expect(errorOf({ ...required, AGENT_INSTRUCTIONS_FILE: '/nonexistent/persona.txt' })).toMatch(
      /AGENT_INSTRUCTIONS_FILE: \/nonexistent\/persona\.txt cannot be read/,
    );
    const empty = join(mkdtempSync(join(tmpdir(), 'agent-cfg-')), 'empty.txt');
    writeFileSync(empty, '  \n');
    expect(errorOf({ ...required, AGENT_INSTRUCTIONS_FILE: empty })).toContain(`${empty} is empty`);
  });

  it('fails fast on contradictions and malformed values', () => {
    expect(errorOf({ ...required, TURN_DETECTION: 'semantic_vad', VAD_THRESHOLD: '0.4' })).toContain(
      'VAD_THRESHOLD only applies to TURN_DETECTION=server_vad',
    );
    expect(errorOf({ ...required, SEMANTIC_VAD_EAGERNESS: 'high' })).toContain(
      'only applies to TURN_DETECTION=semantic_vad',
    );
    expect(errorOf({ ...required, TRANSFER_ALLOWLIST: '+15550001111,555-1234' })).toContain(
      '"555-1234" is not an E.164',
    );
    expect(errorOf({ ...required, VAD_THRESHOLD: '2' })).toContain('VAD_THRESHOLD');
    expect(errorOf({ ...required, AGENT_NAME: 'my agent' })).toContain('AGENT_NAME');
    expect(errorOf({ ...required, OPENAI_BASE_URL: 'ftp://x' })).toContain('OPENAI_BASE_URL');
  });

  it('configures semantic VAD', () => {
    expect(
      loadConfig({ ...required, TURN_DETECTION: 'semantic_vad', SEMANTIC_VAD_EAGERNESS: 'low' })
        .turnDetection,
    ).toEqual({
      type: 'semantic_vad',
      eagerness: 'low',
    });
  });
});
