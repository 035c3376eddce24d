import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenBytes, recordingFixtures, slug } from './golden.js';

const cacheDir = join(tmpdir(), 'callbridge-speech');
/** Committed speech, recorded by `npm run fixtures:speech` (what the unit tests ask for). */
export const SPEECH_FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/speech/', import.meta.url));

export interface SpeechOptions {
  text: string;
  sampleRate: number;
  /** espeak-ng voice, e.g. "en-us" or "en+f3". */
  voice?: string;
  /** Words per minute. */
  speed?: number;
}

/**
 * Real speech for tests: espeak-ng speaks the text, sox converts it to mono 16-bit PCM at the rate
 * asked. A committed golden fixture (packages/testkit/fixtures/speech) is used when there is one,
 * so unit tests never run espeak-ng or sox (see golden.ts); otherwise results are cached on disk
 * by content so repeated tests stay fast.
 */
export function speechPcm(opts: SpeechOptions): Int16Array {
  const voice = opts.voice ?? 'en-us';
  const speed = opts.speed ?? 160;
  const key = createHash('sha256')
    .update(JSON.stringify([opts.text, opts.sampleRate, voice, speed]))
    .digest('hex')
    .slice(0, 24);
  const fixture = join(
    SPEECH_FIXTURES_DIR,
    `${slug(opts.text)}.${opts.sampleRate}.${voice}.${speed}.${key.slice(0, 8)}.s16`,
  );
  const what = `speech ${JSON.stringify({ text: opts.text, sampleRate: opts.sampleRate, voice, speed })}`;
  const bytes = goldenBytes(fixture, what, () => synthesize(opts.text, opts.sampleRate, voice, speed, key));
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** espeak-ng + sox, cached in tmp by content (a recording run always synthesizes afresh). */
function synthesize(text: string, sampleRate: number, voice: string, speed: number, key: string): Uint8Array {
  mkdirSync(cacheDir, { recursive: true });
  const raw = join(cacheDir, `${key}.s16`);
  if (recordingFixtures() || !existsSync(raw)) {
    const wav = join(cacheDir, `${key}.${process.pid}.wav`);
    const tmpRaw = `${raw}.${process.pid}`;
    try {
      execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-w', wav, text], { stdio: 'pipe' });
      // -D: no dither. sox otherwise adds random noise when it resamples, so two runs would differ
      // and a committed fixture could never equal a fresh synthesis.
      execFileSync(
        'sox',
        [
          '-D',
          wav,
          '-t',
          'raw',
          '-r',
          String(sampleRate),
          '-c',
          '1',
          '-b',
          '16',
          '-e',
          'signed-integer',
          tmpRaw,
        ],
        { stdio: 'pipe' },
      );
    } catch (err) {
      throw new Error(
        `speech fixture needs espeak-ng and sox on PATH (apt-get install espeak-ng sox): ${(err as Error).message}`,
      );
    }
    renameSync(tmpRaw, raw);
  }
  return new Uint8Array(readFileSync(raw));
}
