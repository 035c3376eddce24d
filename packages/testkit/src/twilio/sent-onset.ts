/**
 * Where in a clip the simulated caller's `sentOnsets` fires: the first 20 ms line frame (counted
 * from the clip's first sample, as `sendAudio` frames it) whose μ-law peak is not silence. A bench
 * maps a sent onset back to the wall time of any sample of the clip with it.
 */
import { FRAME_SAMPLES, SILENCE_PEAK } from './_line-frame.js';
import { encodeMulaw, mulawPeak } from './_mulaw.js';

/** The frame index of the clip's sent onset, or -1 if the clip is silent throughout. */
export function sentOnsetFrame(pcm8k: Int16Array): number {
  const frame = new Uint8Array(FRAME_SAMPLES);
  for (let f = 0; f * FRAME_SAMPLES < pcm8k.length; f++) {
    const part = pcm8k.subarray(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES);
    encodeMulaw(part, frame);
    if (mulawPeak(frame, 0, part.length) >= SILENCE_PEAK) return f;
  }
  return -1;
}
