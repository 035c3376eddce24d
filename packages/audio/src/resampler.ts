import { PolyphaseResampler } from './_polyphase-resampler.js';
import type { StreamingResampler } from './resampler-types.js';
import { SoxrResampler } from './_soxr-resampler.js';
import { WaveResamplerStream } from './_wave-resampler-stream.js';

/**
 * Engines, compared in packages/audio/README.md:
 * - `polyphase` (default): our Kaiser-windowed polyphase FIR cascade in pure JS; meets every
 *   quality and speed bar, 2 ms of filter delay per direction, output every call.
 * - `wave-resampler`: the `wave-resampler` library (cubic + Butterworth, its defaults) streamed
 *   through overlapping windows; ~50x slower, up to 30 ms of added latency, and its cubic
 *   interpolation droops 3.6 dB at 3.4 kHz.
 * - `livekit-soxr`: `@livekit/rtc-node`'s AudioResampler (libsoxr over FFI, MEDIUM quality);
 *   excellent filters, but it returns audio in ~60 ms bursts, and it must be `close()`d.
 */
export type ResamplerEngine = 'polyphase' | 'wave-resampler' | 'livekit-soxr';

export const RESAMPLER_ENGINES: readonly ResamplerEngine[] = ['polyphase', 'wave-resampler', 'livekit-soxr'];

export const DEFAULT_RESAMPLER_ENGINE: ResamplerEngine = 'polyphase';

export interface ResamplerOptions {
  inputRate: number;
  outputRate: number;
  engine?: ResamplerEngine;
}

/** One resampler per direction of one call; it keeps filter state between chunks. */
export function createResampler(opts: ResamplerOptions): StreamingResampler {
  const engine = opts.engine ?? DEFAULT_RESAMPLER_ENGINE;
  switch (engine) {
    case 'polyphase':
      return new PolyphaseResampler(opts.inputRate, opts.outputRate);
    case 'wave-resampler':
      return new WaveResamplerStream(opts.inputRate, opts.outputRate);
    case 'livekit-soxr':
      return new SoxrResampler(opts.inputRate, opts.outputRate);
    default:
      throw new RangeError(
        `unknown resampler engine ${JSON.stringify(engine)}; expected one of ${RESAMPLER_ENGINES.join(', ')}`,
      );
  }
}
