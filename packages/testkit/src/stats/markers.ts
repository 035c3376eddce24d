/**
 * Latency markers embedded in audio: a short tone burst written into an otherwise silent frame, and
 * a detector that reports the wall-clock time at which a burst's first sample arrived.
 */

/** A frame whose first `burstMs` carry a 1 kHz tone at about -6 dBFS; the rest is silence. */
export function markerFrame(sampleRate: number, frameSamples: number, burstMs = 10): Int16Array {
  const out = new Int16Array(frameSamples);
  const n = Math.min(frameSamples, Math.round((sampleRate * burstMs) / 1000));
  for (let i = 0; i < n; i++) out[i] = Math.round(16_000 * Math.sin((2 * Math.PI * 1000 * i) / sampleRate));
  return out;
}

export class MarkerDetector {
  private quietSamples = Number.POSITIVE_INFINITY;
  private readonly quietNeeded: number;

  /**
   * @param threshold absolute sample level that counts as "burst"; well above codec noise
   * @param quietMs silence needed before a new onset counts (so one burst is one marker)
   */
  constructor(
    private readonly sampleRate: number,
    private readonly threshold = 4_000,
    quietMs = 40,
  ) {
    this.quietNeeded = Math.round((sampleRate * quietMs) / 1000);
  }

  /**
   * Feeds a received frame that arrived at `arrivalMs` (its last sample is "now"); returns the
   * estimated arrival time of each burst onset inside it.
   */
  push(samples: Int16Array, arrivalMs: number): number[] {
    const onsets: number[] = [];
    for (let i = 0; i < samples.length; i++) {
      const loud = Math.abs(samples[i]!) >= this.threshold;
      if (loud) {
        if (this.quietSamples >= this.quietNeeded) {
          onsets.push(arrivalMs - ((samples.length - i) * 1000) / this.sampleRate);
        }
        this.quietSamples = 0;
      } else {
        this.quietSamples++;
      }
    }
    return onsets;
  }
}
