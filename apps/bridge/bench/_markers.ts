// bench:calls' audio markers: what each caller says, and how the markers pair up into latencies.

export const MARKER_EVERY_MS = 1000;

/** The caller's audio: a 20 ms 1 kHz burst at -6 dBFS every second, silence between. */
export function markerPattern(seconds: number, offsetMs: number): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * 8000));
  for (let t = offsetMs; t + 20 < seconds * 1000; t += MARKER_EVERY_MS) {
    const start = Math.round((t / 1000) * 8000);
    for (let i = 0; i < 160; i++)
      pcm[start + i] = Math.round(16_000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  }
  return pcm;
}

/** For each event, how long after the latest earlier reference (within one marker period) it came. */
export function pairDelays(references: readonly number[], events: readonly number[]): number[] {
  const out: number[] = [];
  for (const e of events) {
    let best: number | undefined;
    for (const r of references) if (r <= e && e - r < MARKER_EVERY_MS * 0.8) best = r;
    if (best !== undefined) out.push(e - best);
  }
  return out;
}
