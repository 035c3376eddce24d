import { MULAW_FRAME_BYTES, TWILIO_SAMPLE_RATE } from './constants.js';
import { MuLawFramer } from './framer.js';
import { mixInto } from './pcm.js';
import { createResampler, type ResamplerFactory } from './resampler.js';
import type { StreamingResampler } from './resampler-types.js';
import { assertChannels, assertInt16Array, assertSampleRate } from './_validate.js';

export interface DownlinkOptions {
  /** Rate of the agent's audio as it arrives from LiveKit, e.g. 48000 or 24000. */
  inputRate: number;
  /** Interleaved channels in each chunk unless `push` says otherwise; 1 by default. */
  channels?: number;
  /** Builds the resampler; `createResampler` (polyphase) unless set. For benchmarks and tests. */
  resampler?: ResamplerFactory;
}

/** Agent -> caller: LiveKit PCM to exact 20 ms μ-law frames for Twilio `media` messages. */
export interface Downlink {
  readonly inputRate: number;
  /**
   * Adds a chunk of PCM16 of any length (e.g. 480 samples at 48 kHz, maybe stereo) and returns
   * every 160-byte (20 ms) μ-law frame it completed: zero or more fresh arrays the caller may
   * keep and queue. `sampleRate`, if given, must equal `inputRate` (the resampler's filters are
   * built for it); `channels` may differ per chunk, since downmixing keeps no state.
   */
  push(pcm: Int16Array, sampleRate?: number, channels?: number): Uint8Array[];
  /** End of an utterance: drains the filter and pads the last frame with μ-law silence (0xFF). */
  flush(): Uint8Array[];
  /** Drops everything held (the agent was interrupted and Twilio was told to `clear`). */
  reset(): void;
  /** Release the resampler's native resources, if its engine has any. */
  close(): void;
  /** The chain for logs, e.g. "downmix 2->1 -> resample 48000->8000 (polyphase) -> PCMU(encode) -> frame 20 ms". */
  describe(): string;
}

export function createDownlink(opts: DownlinkOptions): Downlink {
  const { inputRate } = opts;
  assertSampleRate(inputRate, 'downlink input rate');
  const defaultChannels = opts.channels ?? 1;
  assertChannels(defaultChannels);
  const resampler: StreamingResampler | undefined =
    inputRate === TWILIO_SAMPLE_RATE
      ? undefined
      : (opts.resampler ?? createResampler)({ inputRate, outputRate: TWILIO_SAMPLE_RATE });
  const framer = new MuLawFramer(MULAW_FRAME_BYTES);
  let monoScratch = new Int16Array(1024);

  /** Resampled 8 kHz PCM -> μ-law, encoded straight into the frames. */
  const encodeAndFrame = (pcm8k: Int16Array): Uint8Array[] =>
    pcm8k.length === 0 ? [] : framer.pushPcm(pcm8k);

  return {
    inputRate,
    push(pcm, sampleRate, channels = defaultChannels) {
      assertInt16Array(pcm, 'downlink PCM');
      if (pcm.length === 0) throw new RangeError('downlink PCM chunk is empty (0 samples)');
      if (sampleRate !== undefined && sampleRate !== inputRate) {
        throw new RangeError(
          `downlink PCM is at ${String(sampleRate)} Hz but this downlink was built for ${inputRate} Hz`,
        );
      }
      assertChannels(channels);
      if (pcm.length % channels !== 0) {
        throw new RangeError(
          `downlink PCM of ${pcm.length} samples does not divide into ${channels} channels`,
        );
      }
      let mono = pcm;
      if (channels !== 1) {
        const frames = pcm.length / channels;
        if (monoScratch.length < frames) monoScratch = new Int16Array(frames);
        mixInto(pcm, channels, frames, monoScratch);
        mono = monoScratch.length === frames ? monoScratch : monoScratch.subarray(0, frames);
      }
      return encodeAndFrame(resampler ? resampler.process(mono) : mono);
    },
    flush() {
      const frames = resampler ? encodeAndFrame(resampler.flush()) : [];
      return frames.concat(framer.flush());
    },
    reset() {
      resampler?.reset();
      framer.reset();
    },
    close() {
      resampler?.close();
    },
    describe() {
      const stages = [];
      if (defaultChannels !== 1) stages.push(`downmix ${defaultChannels}->1`);
      if (resampler) stages.push(`resample ${inputRate}->${TWILIO_SAMPLE_RATE} (${resampler.engine})`);
      stages.push('PCMU(encode)', `frame ${MULAW_FRAME_BYTES} bytes (20 ms)`);
      return stages.join(' -> ');
    },
  };
}
