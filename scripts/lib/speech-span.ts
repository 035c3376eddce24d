/**
 * Where speech starts and ends in a clip, judged as the Realtime simulator's VAD judges it: 20 ms
 * windows from the clip's first sample whose RMS level reaches a threshold (dBFS). espeak pads its
 * clips with silence and starts some words softly, so a plain sample threshold put "the caller
 * stopped speaking" tens of milliseconds before the model's VAD heard the last of it.
 */
const WINDOW_MS = 20;

export interface SpeechSpan {
  /** Start of the first loud window, ms from the clip's start (-1: no speech). */
  startMs: number;
  /** End of the last loud window, ms from the clip's start. */
  endMs: number;
}

export function loudSpan(pcm: Int16Array, sampleRate: number, thresholdDbfs: number): SpeechSpan {
  const window = Math.round((sampleRate * WINDOW_MS) / 1000);
  let startMs = -1;
  let endMs = 0;
  for (let w = 0; (w + 1) * window <= pcm.length; w++) {
    let sum = 0;
    for (let i = w * window; i < (w + 1) * window; i++) sum += (pcm[i]! / 32768) ** 2;
    if (10 * Math.log10(sum / window + 1e-12) < thresholdDbfs) continue;
    if (startMs < 0) startMs = w * WINDOW_MS;
    endMs = (w + 1) * WINDOW_MS;
  }
  return { startMs, endMs };
}

/** The first sample at least `peak` loud, in ms from the clip's start (0 if none). */
export function leadMs(pcm: Int16Array, sampleRate: number, peak: number): number {
  for (let i = 0; i < pcm.length; i++) if (Math.abs(pcm[i]!) >= peak) return (i / sampleRate) * 1000;
  return 0;
}
