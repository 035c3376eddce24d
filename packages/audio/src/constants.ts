/** Twilio Media Streams carry G.711 μ-law at 8 kHz in 20 ms messages of 160 bytes. */
export const TWILIO_SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const MULAW_FRAME_BYTES = (TWILIO_SAMPLE_RATE * FRAME_MS) / 1000;
/** μ-law code for zero (positive zero); what padding and comfort silence are made of. */
export const MULAW_SILENCE = 0xff;
/** LiveKit's native rate, and what the bridge publishes the caller at. */
export const LIVEKIT_SAMPLE_RATE = 48000;

/** Samples in one frame of `frameMs` at `sampleRate`, e.g. 960 for 20 ms at 48 kHz. */
export function samplesPerFrame(sampleRate: number, frameMs = FRAME_MS): number {
  const samples = (sampleRate * frameMs) / 1000;
  if (!Number.isInteger(samples) || samples <= 0) {
    throw new RangeError(`${frameMs} ms at ${sampleRate} Hz is not a whole, positive number of samples`);
  }
  return samples;
}
