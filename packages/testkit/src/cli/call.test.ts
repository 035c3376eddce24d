import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, segmentedCorrelation, speechPcm, writeWav } from '../audio-fixtures/index.js';
import { PUBLIC_HTTP, PUBLIC_WS, startTestApp, type TestApp } from '../twilio/_test-app.js';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '../../../..');
const AUTH_TOKEN = 'cli-test-token';

let app: TestApp;
let dir: string;

beforeAll(async () => {
  app = await startTestApp(AUTH_TOKEN);
  dir = mkdtempSync(join(tmpdir(), 'call-cli-test-'));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run call (the CLI as a process)', () => {
  it('places the call, says a 16 kHz WAV (converted with sox), and writes what it heard back', async () => {
    app.twiml = `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${PUBLIC_WS}/twilio/media"/></Connect></Response>`;
    // The stand-in app echoes the caller's audio, so the caller hears itself.
    app.onStream = (conn) => {
      conn.socket.on('message', (data) => {
        const m = JSON.parse(String(data)) as {
          event: string;
          streamSid: string;
          media?: { payload: string };
        };
        if (m.event === 'media') {
          conn.socket.send(JSON.stringify({ event: 'media', streamSid: m.streamSid, media: m.media }));
        }
      });
    };
    const speech16k = speechPcm({ text: 'one two three', sampleRate: 16000 });
    const wav = join(dir, 'in16k.wav');
    const out = join(dir, 'heard.wav');
    writeWav(wav, speech16k, 16000);
    const localBase = app.rewriteUrl(PUBLIC_HTTP);

    const { stdout } = await run(
      join(repoRoot, 'node_modules/.bin/tsx'),
      [
        'packages/testkit/src/cli/call.ts',
        ...['--bridge', PUBLIC_HTTP, '--connect', localBase, '--wav', wav, '--out', out],
        ...['--auth-token', AUTH_TOKEN, '--seconds', '0.5', '--dtmf', '12'],
      ],
      { cwd: repoRoot, timeout: 60_000 },
    );

    const lines = stdout.trim().split('\n');
    const summary = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
    expect(summary).toMatchObject({
      call_sid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      stream_sid: expect.stringMatching(/^MZ[0-9a-f]{32}$/),
      webhook_status: 200,
      violations: 0,
    });
    expect(summary.heard_ms as number).toBeGreaterThan(speech16k.length / 16);
    expect(stdout).toContain('converted with sox');

    const heard = readWav(out);
    expect(heard.sampleRate).toBe(8000);
    const reference = speechPcm({ text: 'one two three', sampleRate: 8000 });
    // Per 100 ms segment: the echo is played frame by frame as it comes back, and a frame that
    // returns late (a busy machine) leaves a 20 ms gap in what the caller heard.
    const match = segmentedCorrelation(reference, heard.samples, 800);
    expect(match.peaks.length).toBeGreaterThan(3);
    // Other speech scores ≤ 0.45 here; time-stretching by a starved jitter buffer costs a few segments.
    expect(match.median).toBeGreaterThan(0.75);
    expect(match.inOrder).toBe(true);
    const conn = app.streams.at(-1);
    const digits = conn?.messages
      .filter((m) => m.data.event === 'dtmf')
      .map((m) => (m.data.dtmf as { digit: string }).digit);
    expect(digits).toEqual(['1', '2']);
  });

  it('exits 2 with usage when arguments are wrong', async () => {
    const attempt = run(
      join(repoRoot, 'node_modules/.bin/tsx'),
      ['packages/testkit/src/cli/call.ts', '--wav', 'x.wav'],
      {
        cwd: repoRoot,
        env: { ...process.env, TWILIO_AUTH_TOKEN: '' },
      },
    );
    await expect(attempt).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--bridge') });
  });
});
