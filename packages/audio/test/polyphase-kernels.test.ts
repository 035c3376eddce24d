import { describe, expect, it } from 'vitest';
import { planStages } from '../src/_polyphase-plan.js';
import { PolyphaseStage } from '../src/_polyphase-stage.js';

/** Runs a stage over `input` in uneven chunks; `last` stages round to PCM16 like the cascade's last. */
function runStage(stage: PolyphaseStage, input: Float64Array, rounded: boolean): number[] {
  const out: number[] = [];
  const sizes = [1, 7, 160, 33, 960, 2, 481];
  for (let read = 0, k = 0; read < input.length; k++) {
    const n = Math.min(sizes[k % sizes.length]!, input.length - read);
    stage.prepare(n);
    stage.buffer.set(input.subarray(read, read + n), stage.history);
    const target = rounded ? new Int16Array(stage.maxOutputs(n)) : new Float64Array(stage.maxOutputs(n));
    const count = stage.run(n, target, 0);
    out.push(...target.subarray(0, count));
    read += n;
  }
  return out;
}

describe('generated polyphase kernels', () => {
  const pairs = [
    [8000, 16000],
    [8000, 24000],
    [8000, 48000],
    [16000, 8000],
    [24000, 8000],
    [48000, 8000],
  ] as const;
  const noise = Float64Array.from({ length: 6000 }, (_, i) =>
    Math.round(Math.sin(i * 1.7) * 12000 + ((i * 7919) % 4001) - 2000),
  );

  it.each(pairs)(
    'match the table-driven reference loop for %d -> %d Hz, stage by stage',
    (inputRate, outputRate) => {
      for (const spec of planStages(inputRate, outputRate)) {
        for (const rounded of [false, true]) {
          const fast = runStage(new PolyphaseStage(spec), noise, rounded);
          const reference = runStage(new PolyphaseStage(spec, { useKernels: false }), noise, rounded);
          expect(fast.length).toBe(reference.length);
          // Same taps, different summation order (folded pairs): equal to float rounding, or one
          // LSB where a sum sits on a rounding boundary.
          const tolerance = rounded ? 1 : 1e-6;
          let worst = 0;
          for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - reference[i]!));
          expect(
            worst,
            `${spec.inputRate}->${spec.outputRate} ${rounded ? 'pcm16' : 'float'}`,
          ).toBeLessThanOrEqual(tolerance);
        }
      }
    },
  );
});
