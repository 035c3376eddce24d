/** sox as an independent reference: a codec and resampler we did not write. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcm16FromBytes } from '../../src/index.js';

type Format = { kind: 'pcm16'; rate: number } | { kind: 'mulaw'; rate: number };

function soxArgs(format: Format): string[] {
  const encoding =
    format.kind === 'pcm16' ? ['-e', 'signed-integer', '-b', '16'] : ['-e', 'mu-law', '-b', '8'];
  return ['-t', 'raw', '-r', String(format.rate), '-c', '1', ...encoding];
}

/** Runs raw audio through `sox` (no dither, so the result is deterministic). */
export function soxConvert(input: Int16Array | Uint8Array, from: Format, to: Format): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-sox-'));
  try {
    const inPath = join(dir, 'in.raw');
    const outPath = join(dir, 'out.raw');
    writeFileSync(inPath, new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
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
