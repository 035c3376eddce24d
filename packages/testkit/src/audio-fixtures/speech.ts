import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cacheDir = join(tmpdir(), 'callbridge-speech');

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
 * asked. Results are cached on disk by content so repeated tests stay fast.
 */
export function speechPcm(opts: SpeechOptions): Int16Array {
  const voice = opts.voice ?? 'en-us';
  const speed = opts.speed ?? 160;
  const key = createHash('sha256')
    .update(JSON.stringify([opts.text, opts.sampleRate, voice, speed]))
    .digest('hex')
    .slice(0, 24);
  mkdirSync(cacheDir, { recursive: true });
  const raw = join(cacheDir, `${key}.s16`);
  if (!existsSync(raw)) {
    const wav = join(cacheDir, `${key}.${process.pid}.wav`);
    const tmpRaw = `${raw}.${process.pid}`;
    try {
      execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-w', wav, opts.text], { stdio: 'pipe' });
      execFileSync(
        'sox',
        [
          wav,
          '-t',
          'raw',
          '-r',
          String(opts.sampleRate),
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
  const bytes = readFileSync(raw);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
