/** Content checks on the agent's audio as the phone heard it (48 kHz, through Opus). */
import { bestCorrelation, decimate, rmsDbfs } from '@callbridge/testkit/audio-fixtures';

/** First sample index where a 20 ms window reaches `thresholdDbfs`, or -1. */
export function onsetIndex(samples: Int16Array, rate: number, from = 0, thresholdDbfs = -45): number {
  const win = rate / 50;
  for (let i = from; i + win <= samples.length; i += win)
    if (rmsDbfs(samples, i, i + win) >= thresholdDbfs) return i;
  return -1;
}

/**
 * How well `reference` (24 kHz, what the model sent) matches the phone's recording (48 kHz) at
 * the utterance starting near `onset`. Both are brought to 8 kHz: enough for speech, and cheap.
 */
export function matchAt(
  reference24k: Int16Array,
  received48k: Int16Array,
  onset: number,
  seconds = 1.2,
): number {
  const ref = decimate(reference24k.subarray(0, Math.min(reference24k.length, 24_000 * seconds)), 3);
  const start = Math.max(0, onset - 48_000 * 0.3);
  const window = decimate(received48k.subarray(start, start + 48_000 * (seconds + 0.8)), 6);
  return bestCorrelation(ref, window, 8_000 * 0.8).peak;
}
