/** Loads the caller's WAV as 8 kHz mono PCM, converting with sox when the file is anything else. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../audio-fixtures/index.js';

export function loadCallerAudio(path: string): { pcm: Int16Array; converted: boolean } {
  const wav = readWav(path);
  if (wav.sampleRate === 8000 && wav.channels === 1) return { pcm: wav.samples, converted: false };
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-call-'));
  const out = join(dir, 'caller-8k.wav');
  try {
    execFileSync('sox', [path, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', out], {
      stdio: 'pipe',
    });
    return { pcm: readWav(out).samples, converted: true };
  } catch (err) {
    throw new Error(
      `converting ${path} (${wav.sampleRate} Hz, ${wav.channels} ch) to 8 kHz mono needs sox: ${(err as Error).message}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
