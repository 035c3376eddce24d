import { compileDecimator, compileInterpolator } from './_polyphase-kernels.js';
import {
  type PhaseTable,
  type SampleKind,
  type StageKernels,
  type StageSpec,
  tableFor,
} from './_polyphase-table.js';
import { roundToPcm16 } from './_round.js';

function kernelsFor(table: PhaseTable, input: SampleKind): StageKernels | undefined {
  if (table.kernels[input] === undefined) {
    try {
      table.kernels[input] = compileKernels(table);
    } catch (err) {
      // Node started with --disallow-code-generation-from-strings: the reference loop still works.
      if (!(err instanceof EvalError)) throw err;
      table.kernels[input] = null;
    }
  }
  return table.kernels[input] ?? undefined;
}

function compileKernels(table: PhaseTable): StageKernels | null {
  if (table.down === 1) {
    return {
      kind: 'interpolate',
      toFloat: compileInterpolator(table, 'float'),
      toPcm16: compileInterpolator(table, 'pcm16'),
    };
  }
  if (table.up === 1) {
    return {
      kind: 'decimate',
      toFloat: compileDecimator(table, 'float'),
      toPcm16: compileDecimator(table, 'pcm16'),
    };
  }
  return null;
}

/**
 * One rational resampling step: a Kaiser-windowed FIR low-pass split into L phases and evaluated
 * only at the outputs kept (no zero-stuffing, nothing computed then discarded). Its input is
 * written straight into `buffer` (after `history` samples of the previous chunk), and it writes
 * its outputs straight into the next stage's buffer, or, as the last stage, rounded into PCM16:
 * no copies between stages and no allocation once the buffers have grown to the chunk size.
 */
export class PolyphaseStage {
  readonly spec: StageSpec;
  /** Samples of the previous chunk kept at the start of `buffer`. */
  readonly history: number;
  private readonly table: PhaseTable;
  /**
   * `history` samples of the previous chunk, then the chunk being processed. PCM16 for a first
   * stage, so the caller's samples go in with a plain copy instead of a conversion per sample.
   */
  buffer: Float64Array | Int16Array;
  /** Phase of the next output. */
  private phase = 0;
  /** Index in `buffer` of the newest input sample the next output reaches. */
  private position: number;
  private readonly kernels: StageKernels | undefined;

  /**
   * `input` is what the stage is fed: 'pcm16' (a first stage) or 'float' (the default).
   * `useKernels: false` forces the table-driven loop even where a generated one exists; tests use
   * it to check the two agree.
   */
  constructor(spec: StageSpec, opts: { input?: SampleKind; useKernels?: boolean } = {}) {
    this.spec = spec;
    this.table = tableFor(spec);
    this.history = this.table.span - 1;
    const input = opts.input ?? 'float';
    this.kernels = opts.useKernels === false ? undefined : kernelsFor(this.table, input);
    this.position = this.history;
    this.buffer =
      input === 'pcm16' ? new Int16Array(this.history + 1024) : new Float64Array(this.history + 1024);
  }

  /** Group delay in this stage's input samples. */
  get delayInputSamples(): number {
    return this.table.delayInputSamples;
  }

  /** Upper bound on outputs for `inputLength` new inputs, whatever the current phase. */
  maxOutputs(inputLength: number): number {
    return Math.ceil(((inputLength + 1) * this.table.up) / this.table.down) + 1;
  }

  /** Makes room in `buffer` for `inputLength` new samples after the history (may replace it). */
  prepare(inputLength: number): void {
    if (this.buffer.length < this.history + inputLength) {
      const size = this.history + 2 * inputLength;
      const grown = this.buffer instanceof Int16Array ? new Int16Array(size) : new Float64Array(size);
      grown.set(this.buffer.subarray(0, this.history));
      this.buffer = grown;
    }
  }

  /**
   * Filters the `length` samples already written to `buffer[history ..]` and writes the outputs
   * to `out` from `outStart` (floats for a following stage, rounded PCM16 for the caller; `out`
   * must have room for `maxOutputs(length)`). Returns how many it wrote.
   */
  run(length: number, out: Float64Array | Int16Array, outStart: number): number {
    const history = this.history;
    const end = history + length;
    const kernels = this.kernels;
    let count: number;
    if (kernels?.kind === 'interpolate') {
      // Every input yields exactly `up` outputs, so a chunk always starts at phase 0.
      count = length * this.table.up;
      if (out instanceof Int16Array)
        kernels.toPcm16(this.buffer, this.position - history, length, out, outStart);
      else kernels.toFloat(this.buffer, this.position - history, length, out, outStart);
      this.position = end;
    } else if (kernels?.kind === 'decimate') {
      count = this.position < end ? Math.floor((end - 1 - this.position) / this.table.down) + 1 : 0;
      if (out instanceof Int16Array)
        kernels.toPcm16(this.buffer, this.position - history, count, out, outStart);
      else kernels.toFloat(this.buffer, this.position - history, count, out, outStart);
      this.position += count * this.table.down;
    } else {
      count = this.runTableDriven(end, out, outStart);
    }
    this.buffer.copyWithin(0, length, end);
    this.position -= length;
    return count;
  }

  reset(): void {
    this.buffer.fill(0);
    this.phase = 0;
    this.position = this.history;
  }

  /** The reference inner loop: any L/M, walking the phase table one output at a time. */
  private runTableDriven(end: number, out: Float64Array | Int16Array, outStart: number): number {
    const { taps, tapStart, tapCount, inputSkip, nextPhase, advance } = this.table;
    const history = this.history;
    const buffer = this.buffer;
    const rounds = out instanceof Int16Array;
    let position = this.position;
    let phase = this.phase;
    let count = 0;
    while (position < end) {
      const first = tapStart[phase]!;
      const n = tapCount[phase]!;
      const base = position - history + inputSkip[phase]! - first;
      // Four partial sums let the CPU overlap the multiply-adds instead of chaining them.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = first;
      const stop = first + n;
      for (; k + 3 < stop; k += 4) {
        s0 += taps[k]! * buffer[base + k]!;
        s1 += taps[k + 1]! * buffer[base + k + 1]!;
        s2 += taps[k + 2]! * buffer[base + k + 2]!;
        s3 += taps[k + 3]! * buffer[base + k + 3]!;
      }
      for (; k < stop; k++) s0 += taps[k]! * buffer[base + k]!;
      const sum = s0 + s1 + s2 + s3;
      out[outStart + count++] = rounds ? roundToPcm16(sum) : sum;
      position += advance[phase]!;
      phase = nextPhase[phase]!;
    }
    this.position = position;
    this.phase = phase;
    return count;
  }
}
