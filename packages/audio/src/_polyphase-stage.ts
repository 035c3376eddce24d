import { designLowPass } from './_filter-design.js';
import {
  compileDecimator,
  compileInterpolator,
  type DecimateKernel,
  type InterpolateKernel,
} from './_polyphase-kernels.js';
import { roundToPcm16 } from './_round.js';
import { greatestCommonDivisor } from './_validate.js';

/** One rational L/M step of a polyphase cascade, with the band edges it must honour. */
export interface StageSpec {
  inputRate: number;
  outputRate: number;
  passbandHz: number;
  stopbandHz: number;
  stopbandDb: number;
  /** Length of the prototype low-pass at the high rate (odd, so its delay is whole there). */
  tapCount: number;
}

/** Rate ratios beyond this many phases would need a table too large to be worth it. */
const MAX_PHASES = 1024;

/** Filter tables are immutable and shared by every stage with the same spec. */
interface PhaseTable {
  /** Upsampling factor L: phases in the table. */
  up: number;
  /** Downsampling factor M: high-rate samples between outputs. */
  down: number;
  /** Input samples one output can reach back over (the longest phase). */
  span: number;
  /** All phases' taps back to back, each reversed so the dot product walks the input forwards. */
  taps: Float64Array;
  /** Where each phase's taps start in `taps`. */
  tapStart: Int32Array;
  /** How many taps each phase has once its zero ends are trimmed (a half-band's centre phase has 1). */
  tapCount: Int32Array;
  /** Offset from the start of the span to each phase's first tap. */
  inputSkip: Int32Array;
  /** Phase of the output after one in this phase. */
  nextPhase: Int32Array;
  /** Input samples to advance after producing an output in this phase. */
  advance: Int32Array;
  /** Group delay of the prototype filter, in input samples. */
  delayInputSamples: number;
  /**
   * Generated inner loops, compiled on first use for each kind of input buffer (separately, so
   * V8 specialises each on one array type); null for ratios that are not integers.
   */
  kernels: { [kind in SampleKind]?: StageKernels | null };
}

/** What a stage's input buffer holds: the caller's PCM16 (first stage) or an earlier stage's floats. */
export type SampleKind = 'pcm16' | 'float';

/** Each generated loop comes in two flavours: float output for the next stage, PCM16 for the last. */
type StageKernels =
  | { kind: 'interpolate'; toFloat: InterpolateKernel; toPcm16: InterpolateKernel }
  | { kind: 'decimate'; toFloat: DecimateKernel; toPcm16: DecimateKernel };

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

const tables = new Map<string, PhaseTable>();

function buildTable(spec: StageSpec): PhaseTable {
  const divisor = greatestCommonDivisor(spec.inputRate, spec.outputRate);
  const up = spec.outputRate / divisor;
  const down = spec.inputRate / divisor;
  if (up > MAX_PHASES) {
    throw new RangeError(
      `polyphase resampling ${spec.inputRate}->${spec.outputRate} Hz needs ${up} phases (max ${MAX_PHASES}); pick rates with a larger common divisor`,
    );
  }
  const lowPass = {
    sampleRate: spec.inputRate * up,
    passbandHz: spec.passbandHz,
    stopbandHz: spec.stopbandHz,
    stopbandDb: spec.stopbandDb,
    gain: up,
  };
  const length = spec.tapCount;
  const prototype = designLowPass(lowPass, length);
  const negligible = 1e-12 * up;

  const span = Math.ceil(length / up);
  const phaseTaps: number[][] = [];
  const inputSkip = new Int32Array(up);
  for (let phase = 0; phase < up; phase++) {
    // Phase p's r-th tap multiplies the input r samples back; store oldest-first.
    const reversed: number[] = [];
    for (let r = span - 1; r >= 0; r--) {
      const index = phase + r * up;
      reversed.push(index < length ? prototype[index]! : 0);
    }
    let first = 0;
    let last = reversed.length - 1;
    while (first < last && Math.abs(reversed[first]!) < negligible) first++;
    while (last > first && Math.abs(reversed[last]!) < negligible) last--;
    inputSkip[phase] = first;
    phaseTaps.push(reversed.slice(first, last + 1));
  }
  const tapStart = new Int32Array(up);
  const tapCount = new Int32Array(up);
  const taps = new Float64Array(phaseTaps.reduce((total, p) => total + p.length, 0));
  let cursor = 0;
  phaseTaps.forEach((p, phase) => {
    tapStart[phase] = cursor;
    tapCount[phase] = p.length;
    taps.set(p, cursor);
    cursor += p.length;
  });
  const nextPhase = new Int32Array(up);
  const advance = new Int32Array(up);
  for (let phase = 0; phase < up; phase++) {
    nextPhase[phase] = (phase + down) % up;
    advance[phase] = Math.floor((phase + down) / up);
  }
  return {
    up,
    down,
    span,
    taps,
    tapStart,
    tapCount,
    inputSkip,
    nextPhase,
    advance,
    delayInputSamples: (length - 1) / 2 / up,
    kernels: {},
  };
}

function tableFor(spec: StageSpec): PhaseTable {
  const key = [
    spec.inputRate,
    spec.outputRate,
    spec.passbandHz,
    spec.stopbandHz,
    spec.stopbandDb,
    spec.tapCount,
  ].join(':');
  let table = tables.get(key);
  if (!table) {
    table = buildTable(spec);
    tables.set(key, table);
  }
  return table;
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
