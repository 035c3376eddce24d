/**
 * Resamples a fixed signal 8k -> 48k -> 8k with the default engine and prints the samples as
 * JSON: run as a child process to compare Node configurations (e.g. code generation disallowed).
 */
import { createResampler } from '../../src/index.js';

const signal = Int16Array.from({ length: 1600 }, (_, i) =>
  Math.round(Math.sin(i / 3) * 9000 + Math.sin(i * 1.3) * 3000),
);
const up = createResampler({ inputRate: 8000, outputRate: 48000 });
const down = createResampler({ inputRate: 48000, outputRate: 8000 });
const out: number[] = [];
for (let i = 0; i < signal.length; i += 160)
  out.push(...down.process(up.process(signal.subarray(i, i + 160))));
process.stdout.write(JSON.stringify(out));
