import { createResampler, type ResamplerFactory } from '../src/index.js';
import { SoxrResampler } from './_soxr-resampler.js';
import { WaveResamplerStream } from './_wave-resampler-stream.js';

/**
 * The resampler engines the benchmark compares, run through the product's own uplink and
 * downlink chains (their `resampler` option). Only `polyphase` ships; packages/audio/README.md
 * has the measurements that chose it.
 * - `polyphase`: the product's `createResampler`, our Kaiser-windowed polyphase FIR cascade.
 * - `wave-resampler`: the `wave-resampler` library (cubic + Butterworth, its defaults) streamed
 *   through overlapping windows; ~50x slower, up to 30 ms of added latency, and its cubic
 *   interpolation droops 3.6 dB at 3.4 kHz.
 * - `livekit-soxr`: `@livekit/rtc-node`'s AudioResampler (libsoxr over FFI, MEDIUM quality);
 *   excellent filters, but it returns audio in ~60 ms bursts, and it must be `close()`d.
 */
export const ENGINES = {
  polyphase: createResampler,
  'wave-resampler': ({ inputRate, outputRate }) => new WaveResamplerStream(inputRate, outputRate),
  'livekit-soxr': ({ inputRate, outputRate }) => new SoxrResampler(inputRate, outputRate),
} satisfies Record<string, ResamplerFactory>;

export type EngineName = keyof typeof ENGINES;

export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];

/** The engine the product uses (`createResampler`), the one the benchmark's checks are about. */
export const PRODUCT_ENGINE: EngineName = 'polyphase';
