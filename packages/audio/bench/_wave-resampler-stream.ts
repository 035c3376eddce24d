import waveResampler from 'wave-resampler';
import type { StreamingResampler } from '../src/resampler-types.js';
import { roundToPcm16 } from '../src/_round.js';
import { assertInt16Array, assertSampleRate, greatestCommonDivisor } from '../src/_validate.js';

/**
 * wave-resampler's default filter runs forwards then backwards (zero phase), so it needs audio on
 * both sides of every sample. 10 ms either side lets its 16th-order Butterworth ring down to
 * about -90 dB before the part we keep, so the seams between windows stay below G.711's noise.
 */
const MARGIN_MS = 10;
/** New audio per window; one 20 ms frame in, one frame's worth out. */
const HOP_MS = 20;

/**
 * Streams `wave-resampler` (the library the user named) with its defaults: cubic interpolation
 * plus its Butterworth low-pass. Called once per frame, that library restarts its filter and
 * stretches the time axis by (n-1)/n at every frame edge. This wrapper instead resamples
 * overlapping 40 ms windows, keeps only each window's settled middle 20 ms, and passes rate
 * arguments chosen so the library's sample positions land exactly on the output grid. The cost
 * is 10 ms of look-ahead plus up to one hop of buffering, and about twice the library's work.
 */
export class WaveResamplerStream implements StreamingResampler {
  readonly engine = 'wave-resampler';
  readonly inputRate: number;
  readonly outputRate: number;
  /** Output samples per input sample, as a reduced fraction up/down. */
  private readonly up: number;
  private readonly down: number;
  private readonly marginBefore: number;
  private readonly hop: number;
  private readonly windowLength: number;
  /** The `sampleRate` we tell wave-resampler, so its output has exactly the length we need. */
  private readonly targetRateArgument: number;
  private readonly window: Float64Array;
  private readonly options: Record<string, unknown> = {};
  /** Input not yet fully used, starting `marginBefore` samples before the next hop. */
  private pending: Float64Array;
  private pendingLength: number;
  private output = new Int16Array(1024);

  constructor(inputRate: number, outputRate: number) {
    assertSampleRate(inputRate, 'input sample rate');
    assertSampleRate(outputRate, 'output sample rate');
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    const divisor = greatestCommonDivisor(inputRate, outputRate);
    this.up = outputRate / divisor;
    this.down = inputRate / divisor;
    // Hops and the leading margin are whole multiples of `down`, so each window's outputs start
    // on the output grid; the window is then one sample longer than a multiple of `down`, which
    // makes wave-resampler's (n - 1) / m position step exactly down / up.
    const inputSamples = (ms: number) => Math.ceil((ms * inputRate) / 1000 / this.down) * this.down;
    this.marginBefore = inputSamples(MARGIN_MS);
    this.hop = inputSamples(HOP_MS);
    this.windowLength = this.marginBefore + this.hop + inputSamples(MARGIN_MS) + 1;
    const windowOutputs = ((this.windowLength - 1) * this.up) / this.down;
    this.targetRateArgument = rateArgumentFor(this.windowLength, windowOutputs);
    this.window = new Float64Array(this.windowLength);
    this.pending = new Float64Array(this.windowLength + 1024);
    this.pendingLength = this.marginBefore;
  }

  process(input: Int16Array): Int16Array {
    assertInt16Array(input, 'resampler input');
    this.append(input, input.length);
    return this.drainWindows(Infinity);
  }

  flush(): Int16Array {
    const unread = this.pendingLength - this.marginBefore;
    const wanted = Math.ceil((unread * this.up) / this.down);
    // Pad with silence until the last real sample sits inside a window's kept middle.
    const padding =
      ((this.hop - (unread % this.hop)) % this.hop) + this.windowLength - this.marginBefore - this.hop;
    this.append(new Int16Array(padding), padding);
    const drained = this.drainWindows(wanted);
    this.reset();
    return drained;
  }

  reset(): void {
    this.pending.fill(0);
    this.pendingLength = this.marginBefore;
  }

  close(): void {
    // Pure JS: nothing to release.
  }

  private append(input: Int16Array, length: number): void {
    if (this.pending.length < this.pendingLength + length) {
      const grown = new Float64Array(2 * (this.pendingLength + length));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    for (let i = 0; i < length; i++) this.pending[this.pendingLength + i] = input[i]!;
    this.pendingLength += length;
  }

  /** Resamples every complete window; returns at most `limit` outputs (for the flush tail). */
  private drainWindows(limit: number): Int16Array {
    const hopOutputs = (this.hop * this.up) / this.down;
    const keepFrom = (this.marginBefore * this.up) / this.down;
    const windows = Math.max(0, Math.floor((this.pendingLength - this.windowLength) / this.hop) + 1);
    const total = Math.min(windows * hopOutputs, limit);
    if (this.output.length < total) this.output = new Int16Array(total);
    let written = 0;
    for (let w = 0; w < windows; w++) {
      // The library filters its input in place when downsampling, so it gets a copy.
      this.window.set(this.pending.subarray(w * this.hop, w * this.hop + this.windowLength));
      const resampled = waveResampler.resample(
        this.window,
        this.windowLength,
        this.targetRateArgument,
        this.options,
      );
      for (let j = 0; j < hopOutputs && written < total; j++) {
        this.output[written++] = roundToPcm16(resampled[keepFrom + j]!);
      }
    }
    const consumed = windows * this.hop;
    this.pending.copyWithin(0, consumed, this.pendingLength);
    this.pendingLength -= consumed;
    return this.output.subarray(0, written);
  }
}

/**
 * wave-resampler sizes its output as `n * ((target - source) / source + 1)` and steps through
 * the input by `(n - 1) / outputs`. Passing `source = n` and `target = outputs` gives the step we
 * want; floating point may land a hair under `outputs`, which would drop the last sample, so
 * nudge the target up until the size comes out whole.
 */
function rateArgumentFor(windowLength: number, outputs: number): number {
  let target = outputs;
  const size = (t: number) => Math.trunc(windowLength * ((t - windowLength) / windowLength + 1));
  while (size(target) < outputs) target += outputs * Number.EPSILON;
  if (size(target) !== outputs) {
    throw new Error(`cannot size a ${windowLength}-sample window to exactly ${outputs} outputs`);
  }
  return target;
}
