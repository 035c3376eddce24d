import { assertBase64Payload, base64DecodedLength } from './base64.js';
import { LIVEKIT_SAMPLE_RATE, TWILIO_SAMPLE_RATE } from './constants.js';
import { decodeMuLawInto } from './_mulaw-tables.js';
import { createResampler, type ResamplerFactory } from './resampler.js';
import type { StreamingResampler } from './resampler-types.js';
import { assertSampleRate, assertUint8Array } from './_validate.js';

export interface UplinkOptions {
  /** Rate the caller's audio is published at; 48000 (LiveKit's native rate) unless set. */
  outputRate?: number;
  /** Builds the resampler; `createResampler` (polyphase) unless set. For benchmarks and tests. */
  resampler?: ResamplerFactory;
}

/** Caller -> room: Twilio's μ-law at 8 kHz to PCM16 mono at the room's rate. */
export interface Uplink {
  readonly outputRate: number;
  /**
   * One Twilio `media.payload` (base64 μ-law, normally 160 bytes) -> PCM16 mono at `outputRate`.
   * Returns a fresh array the caller may keep (e.g. hand to `AudioSource.captureFrame`).
   */
  processBase64(payload: string): Int16Array;
  /** As `processBase64`, for μ-law bytes already decoded from base64. */
  processMuLaw(bytes: Uint8Array): Int16Array;
  /** What the filter still holds at the end of the call (fresh array). */
  flush(): Int16Array;
  /** Forget history, e.g. when a stream restarts. */
  reset(): void;
  /** Release the resampler's native resources, if its engine has any. */
  close(): void;
  /** The chain for logs, e.g. "base64 -> PCMU(decode) -> resample 8000->48000 (polyphase)". */
  describe(): string;
}

export function createUplink(opts: UplinkOptions = {}): Uplink {
  const outputRate = opts.outputRate ?? LIVEKIT_SAMPLE_RATE;
  assertSampleRate(outputRate, 'uplink output rate');
  const resampler: StreamingResampler | undefined =
    outputRate === TWILIO_SAMPLE_RATE
      ? undefined
      : (opts.resampler ?? createResampler)({ inputRate: TWILIO_SAMPLE_RATE, outputRate });
  let base64Scratch = Buffer.alloc(1024);
  let pcmScratch = new Int16Array(1024);

  /** Decodes the first `length` μ-law bytes of `bytes` and resamples them into a fresh array. */
  const convert = (bytes: Uint8Array, length: number): Int16Array => {
    if (pcmScratch.length < length) pcmScratch = new Int16Array(length);
    decodeMuLawInto(bytes, length, pcmScratch);
    if (!resampler) return pcmScratch.slice(0, length);
    const input = pcmScratch.length === length ? pcmScratch : pcmScratch.subarray(0, length);
    return resampler.process(input).slice();
  };

  const stages = ['PCMU(decode)'];
  if (resampler) stages.push(`resample ${TWILIO_SAMPLE_RATE}->${outputRate} (${resampler.engine})`);

  return {
    outputRate,
    processBase64(payload) {
      assertBase64Payload(payload);
      const length = base64DecodedLength(payload);
      if (base64Scratch.length < length) base64Scratch = Buffer.alloc(length);
      // Decoding into a reused buffer: no allocation for the bytes of every frame.
      const written = base64Scratch.write(payload, 0, 'base64');
      if (written !== length) {
        throw new Error(`media payload decoded to ${written} bytes, expected ${length}`);
      }
      return convert(base64Scratch, length);
    },
    processMuLaw(bytes) {
      assertUint8Array(bytes, 'uplink μ-law frame');
      if (bytes.length === 0) throw new RangeError('uplink μ-law frame is empty (0 bytes)');
      return convert(bytes, bytes.length);
    },
    flush() {
      return resampler ? resampler.flush().slice() : new Int16Array(0);
    },
    reset() {
      resampler?.reset();
    },
    close() {
      resampler?.close();
    },
    describe() {
      return ['base64', ...stages].join(' -> ');
    },
  };
}
