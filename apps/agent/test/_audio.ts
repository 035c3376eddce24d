/** Content checks on audio that went through LiveKit (Opus, resampling): onset and correlation. */
import { bestCorrelation, decimate, rmsDbfs } from '@callbridge/testkit/audio-fixtures';

const CHECK_RATE = 8_000;

/** First sample index at or after `from` where a 20 ms window reaches `thresholdDbfs`, or -1. */
export function onsetIndex(samples: Int16Array, rate: number, from = 0, thresholdDbfs = -45): number {
  const win = rate / 50;
  for (let i = from; i + win <= samples.length; i += win)
    if (rmsDbfs(samples, i, i + win) >= thresholdDbfs) return i;
  return -1;
}

/**
 * How well `reference` (24 kHz, e.g. what the model sent) matches `received` at the utterance
 * starting near sample `onset`: the median correlation of 300 ms pieces of the reference, each
 * found on its own near where the previous one was found. Pieces, because a receiver's jitter
 * buffer stretches time and a sender that stalls inserts gaps; following the drift piece by piece
 * checks that the words arrive, in order, rather than scoring their timing (benchmarks measure
 * gaps). Everything runs at 8 kHz.
 */
export function matchAt(
  reference24k: Int16Array,
  received: Int16Array,
  receivedRate: number,
  onset: number,
  seconds = 2.1,
): number {
  const ref = decimate(reference24k, 24_000 / CHECK_RATE);
  const rec = decimate(received, receivedRate / CHECK_RATE);
  const recOnset = Math.round((onset * CHECK_RATE) / receivedRate);
  const refOnset = Math.max(0, onsetIndex(ref, CHECK_RATE));
  const piece = CHECK_RATE * 0.3;
  const slack = CHECK_RATE * 0.25;
  const peaks: number[] = [];
  let drift = 0;
  for (let at = refOnset; at + piece <= Math.min(ref.length, refOnset + CHECK_RATE * seconds); at += piece) {
    const expected = recOnset + (at - refOnset) + drift;
    const from = Math.max(0, expected - slack);
    const found = bestCorrelation(
      ref.subarray(at, at + piece),
      rec.subarray(from, expected + piece + slack),
      2 * slack,
    );
    peaks.push(found.peak);
    // Follow the audio only where it was clearly found, so noise cannot lead the search astray.
    if (found.peak > 0.6) drift += from + found.lag - expected;
  }
  if (peaks.length === 0) return 0;
  peaks.sort((a, b) => a - b);
  return peaks[Math.floor(peaks.length / 2)] ?? 0;
}

/**
 * Looks through the utterances in `received` from sample `from` on (each starts at an onset and
 * ends at 300 ms of silence) for the one that matches `reference24k` (score over 0.7, see
 * {@link matchAt}); returns its onset and score, or undefined when none of those received so far
 * does. By content, not position: on a loaded machine LiveKit Agents may first play something else
 * (an interrupted reply it resumes, a fragment), so the sound after a given point is not
 * necessarily the one a test waits for.
 */
export function findUtterance(
  reference24k: Int16Array,
  received: Int16Array,
  receivedRate: number,
  from: number,
): { onset: number; score: number } | undefined {
  const referenceSamples = (reference24k.length / 24_000) * receivedRate;
  const frame = receivedRate / 50;
  const pause = Math.round(receivedRate * 0.3);
  for (let start = from; ;) {
    const at = onsetIndex(received, receivedRate, start);
    if (at < 0 || at + referenceSamples > received.length) return undefined;
    const score = matchAt(reference24k, received, receivedRate, at);
    if (score > 0.7) return { onset: at, score };
    // On to the utterance after this one: past its next 300 ms of silence.
    let next = at + frame;
    while (next + pause <= received.length && rmsDbfs(received, next, next + pause) >= -50) next += frame;
    if (next + pause > received.length) return undefined;
    start = next;
  }
}
