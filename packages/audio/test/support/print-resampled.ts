/**
 * Resamples a fixed signal 8k -> 48k -> 8k with the default engine. Run as a script it prints
 * the samples as JSON, so a test can compare Node configurations (e.g. code generation
 * disallowed) against the same function run in-process.
 */
import { fileURLToPath } from 'node:url';
import { createResampler } from '../../src/index.js';

export function resampleFixedSignal(): number[] {
  const signal = Int16Array.from({ length: 1600 }, (_, i) =>
    Math.round(Math.sin(i / 3) * 9000 + Math.sin(i * 1.3) * 3000),
  );
  const up = createResampler({ inputRate: 8000, outputRate: 48000 });
  const down = createResampler({ inputRate: 48000, outputRate: 8000 });
  const out: number[] = [];
  for (let i = 0; i < signal.length; i += 160)
    out.push(...down.process(up.process(signal.subarray(i, i + 160))));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  process.stdout.write(JSON.stringify(resampleFixedSignal()));
