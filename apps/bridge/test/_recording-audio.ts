/**
 * Reading a call recording's audio in tests: its channels, where they are loud, and a segment
 * correlation cheap enough for whole recordings. Used by recording.test.ts and the console's
 * browser test.
 */
import { bestCorrelation, rmsDbfs } from '@callbridge/testkit/audio-fixtures';

/** One channel of interleaved stereo. */
export const channel = (s: Int16Array, ch: number) => {
  const out = new Int16Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = s[i * 2 + ch]!;
  return out;
};

/** First and last loud 20 ms window (above -40 dBFS; line silence is digital zero here). */
export function loudSpan(pcm: Int16Array): { from: number; to: number } | undefined {
  let from = -1;
  let to = -1;
  for (let at = 0; at + 160 <= pcm.length; at += 160) {
    if (rmsDbfs(pcm, at, at + 160) <= -40) continue;
    if (from < 0) from = at;
    to = at + 160;
  }
  return from < 0 ? undefined : { from, to };
}

/** The loud part of a channel with 0.2 s around it: what a correlation needs to search. */
export function loudPart(pcm: Int16Array): Int16Array {
  const span = loudSpan(pcm);
  return span ? pcm.slice(Math.max(0, span.from - 1600), span.to + 1600) : new Int16Array(0);
}

/**
 * As testkit's segmentedCorrelation (each loud segment of `reference` matched in `received`, the
 * median of the peaks), but linear in the signal's length: segments are searched everywhere only
 * until one is found with confidence (≥ 0.8; at most 3 tries, then the best so far); each next one
 * is searched within two segments (±500 ms here) of where the one before it was found.
 */
export function trackedCorrelation(reference: Int16Array, received: Int16Array, segment: number) {
  const window = segment * 2;
  const peaks: number[] = [];
  let offset: number | undefined;
  let best = { peak: -1, offset: 0 };
  let tries = 0;
  for (let s = 0; s + segment <= reference.length; s += segment) {
    const seg = reference.subarray(s, s + segment);
    if (rmsDbfs(seg) < -45) continue; // silence matches anything
    const from = offset === undefined ? 0 : Math.max(0, s + offset - window);
    const to =
      offset === undefined ? received.length : Math.min(received.length, s + offset + segment + window);
    if (to - from < segment) {
      peaks.push(0);
      continue;
    }
    const m = bestCorrelation(seg, received.subarray(from, to), to - from - segment);
    peaks.push(m.peak);
    const found = from + m.lag - s;
    if (m.peak > best.peak) best = { peak: m.peak, offset: found };
    if (m.peak >= 0.8) offset = found;
    else if (offset === undefined && ++tries >= 3) offset = best.offset;
  }
  const sorted = [...peaks].sort((x, y) => x - y);
  return { peaks, median: sorted[Math.floor(sorted.length / 2)] ?? 0 };
}
