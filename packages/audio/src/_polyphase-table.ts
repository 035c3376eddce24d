/**
 * A polyphase stage's filter table: the prototype low-pass designed for one L/M step, split into
 * its L phases with their zero ends trimmed, and how the phases follow one another. Tables are
 * immutable, built once per spec and shared by every stage with that spec.
 */
import { designLowPass } from './_filter-design.js';
import type { DecimateKernel, InterpolateKernel, KernelTaps } from './_polyphase-kernels.js';
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
export interface PhaseTable extends KernelTaps {
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
export type StageKernels =
  | { kind: 'interpolate'; toFloat: InterpolateKernel; toPcm16: InterpolateKernel }
  | { kind: 'decimate'; toFloat: DecimateKernel; toPcm16: DecimateKernel };

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

export function tableFor(spec: StageSpec): PhaseTable {
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
