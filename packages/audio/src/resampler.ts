import { PolyphaseResampler } from './_polyphase-resampler.js';
import type { StreamingResampler } from './resampler-types.js';
import { SoxrResampler } from './_soxr-resampler.js';
import { WaveResamplerStream } from './_wave-resampler-stream.js';

/**
 * - `polyphase`: our Kaiser-windowed polyphase FIR cascade, pure JS. The default: it meets every
 *   quality bar at the lowest cost (see packages/audio/README.md for the measurements).
 * - `wave-resampler`: the `wave-resampler` library (cubic + Butterworth) streamed with overlapping
 *   windows; adds about 30 ms of latency.
 * - `livekit-soxr`: `@livekit/rtc-node`'s AudioResampler (libsoxr over FFI); needs `close()`.
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
