import { PolyphaseResampler } from './_polyphase-resampler.js';
import type { StreamingResampler } from './resampler-types.js';

export interface ResamplerOptions {
  inputRate: number;
  outputRate: number;
}

/**
 * Builds the resampler of one direction of a chain. The chains use `createResampler` unless told
 * otherwise; the benchmark (packages/audio/bench) passes the engines it compares against.
 */
export type ResamplerFactory = (opts: ResamplerOptions) => StreamingResampler;

/**
 * One resampler per direction of one call; it keeps filter state between chunks. Our
 * Kaiser-windowed polyphase FIR cascade in pure JS: it meets every quality and speed bar, with
 * 2 ms of filter delay per direction and output on every call (packages/audio/README.md compares
 * it with the alternatives).
 */
export function createResampler(opts: ResamplerOptions): StreamingResampler {
  return new PolyphaseResampler(opts.inputRate, opts.outputRate);
}
