import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resampleFixedSignal } from './support/print-resampled.js';

const script = fileURLToPath(new URL('./support/print-resampled.ts', import.meta.url));
const run = (flags: string[]) =>
  JSON.parse(
    execFileSync(process.execPath, [...flags, '--import', 'tsx', script], { encoding: 'utf8' }),
  ) as number[];

describe('polyphase engine where Node forbids code generation', () => {
  it('falls back to the reference loop and produces the same audio (within one LSB)', () => {
    const generated = resampleFixedSignal();
    const reference = run(['--disallow-code-generation-from-strings']);
    expect(reference.length).toBe(generated.length);
    expect(generated.length).toBeGreaterThan(1500);
    expect(Math.max(...generated.map((v, i) => Math.abs(v - reference[i]!)))).toBeLessThanOrEqual(1);
  });
});
