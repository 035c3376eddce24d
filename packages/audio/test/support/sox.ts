/**
 * sox as an independent reference: a codec and resampler we did not write. Its outputs are
 * committed golden fixtures (test/fixtures/sox), recorded by `npm run fixtures:speech`, so the
 * unit tests that compare against sox never run it (see testkit's audio-fixtures/golden.ts).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenBytes } from '../../../testkit/src/audio-fixtures/golden.js';
import { pcm16FromBytes } from '../../src/index.js';

type Format = { kind: 'pcm16'; rate: number } | { kind: 'mulaw'; rate: number };

const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/sox/', import.meta.url));

function soxArgs(format: Format): string[] {
  const encoding =
    format.kind === 'pcm16' ? ['-e', 'signed-integer', '-b', '16'] : ['-e', 'mu-law', '-b', '8'];
  return ['-t', 'raw', '-r', String(format.rate), '-c', '1', ...encoding];
}

const describeFormat = (f: Format) => `${f.kind}@${f.rate}`;

/** Raw audio through `sox` (no dither, so the result is deterministic), from the golden store. */
export function soxConvert(input: Int16Array | Uint8Array, from: Format, to: Format): Uint8Array {
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const key = createHash('sha256')
    .update(JSON.stringify([from, to]))
    .update(bytes)
    .digest('hex')
    .slice(0, 16);
  const conversion = `${describeFormat(from)}-to-${describeFormat(to)}`;
  return goldenBytes(
    join(GOLDEN_DIR, `${conversion}.${key}.raw`),
    `sox ${conversion} of ${bytes.length} bytes`,
    () => runSox(bytes, from, to),
  );
}

function runSox(bytes: Uint8Array, from: Format, to: Format): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-sox-'));
  try {
    const inPath = join(dir, 'in.raw');
    const outPath = join(dir, 'out.raw');
    writeFileSync(inPath, bytes);
    execFileSync('sox', ['-D', ...soxArgs(from), inPath, ...soxArgs(to), outPath], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(outPath));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function soxPcm16(
  input: Int16Array | Uint8Array,
  from: Format,
  to: Format & { kind: 'pcm16' },
): Int16Array {
  return pcm16FromBytes(soxConvert(input, from, to));
}
