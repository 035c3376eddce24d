import { planStages } from './_polyphase-plan.js';
import { PolyphaseStage } from './_polyphase-stage.js';
import type { StreamingResampler } from './resampler-types.js';
import { assertInt16Array, assertSampleRate } from './_validate.js';

/**
 * The purpose-built engine: a short cascade of polyphase FIR stages (see `planStages`), carried
 * in floats between stages and rounded to PCM16 once at the end.
 */
export class PolyphaseResampler implements StreamingResampler {
  readonly engine = 'polyphase';
  readonly inputRate: number;
  readonly outputRate: number;
  private readonly stages: PolyphaseStage[];
  private output = new Int16Array(1024);
  /** The last view handed out, reused while the output length stays the same (it usually does). */
  private view = this.output.subarray(0, 0);
  /** Whether any input arrived since the last reset, i.e. whether flush has a tail to drain. */
  private holdsInput = false;

  constructor(inputRate: number, outputRate: number) {
    assertSampleRate(inputRate, 'input sample rate');
    assertSampleRate(outputRate, 'output sample rate');
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.stages = planStages(inputRate, outputRate).map(
      (spec, k) => new PolyphaseStage(spec, { input: k === 0 ? 'pcm16' : 'float' }),
    );
  }

  /** Group delay of the whole chain, in input samples; whole for 8k <-> 16k/24k/48k round trips. */
  get delayInputSamples(): number {
    return this.stages.reduce(
      (total, stage) => total + (stage.delayInputSamples * this.inputRate) / stage.spec.inputRate,
      0,
    );
  }

  process(input: Int16Array): Int16Array {
    assertInt16Array(input, 'resampler input');
    const stages = this.stages;
    let length = input.length;
    if (length > 0) this.holdsInput = true;
    const first = stages[0];
    if (first === undefined) {
      this.reserveOutput(length);
      this.output.set(input);
    } else {
      first.prepare(length);
      first.buffer.set(input, first.history);
      // Each stage writes into the next one's buffer; the last rounds into our PCM16 output.
      for (let k = 0; k < stages.length; k++) {
        const stage = stages[k]!;
        const next = stages[k + 1];
        const most = stage.maxOutputs(length);
        if (next) {
          next.prepare(most);
          length = stage.run(length, next.buffer, next.history);
        } else {
          this.reserveOutput(most);
          length = stage.run(length, this.output, 0);
        }
      }
    }
    if (this.view.buffer !== this.output.buffer || this.view.length !== length) {
      this.view = this.output.subarray(0, length);
    }
    return this.view;
  }

  flush(): Int16Array {
    if (!this.holdsInput) return this.output.subarray(0, 0);
    const drained = this.process(new Int16Array(Math.ceil(this.delayInputSamples)));
    this.reset();
    return drained;
  }

  reset(): void {
    this.holdsInput = false;
    for (const stage of this.stages) stage.reset();
  }

  private reserveOutput(length: number): void {
    if (this.output.length < length) this.output = new Int16Array(Math.max(length, 2 * this.output.length));
  }

  close(): void {
    // Nothing native to release; present so every engine is closed the same way.
  }
}
