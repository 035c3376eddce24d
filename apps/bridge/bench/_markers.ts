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

/** One marker's latency: when its reference (the burst sent) was, and how long after it the event came. */
export interface MarkerDelay {
  at: number;
  delayMs: number;
}

/** For each event, the latest earlier reference within one marker period, and how long after it it came. */
export function pairMarkers(references: readonly number[], events: readonly number[]): MarkerDelay[] {
  const out: MarkerDelay[] = [];
  for (const e of events) {
    let best: number | undefined;
    for (const r of references) if (r <= e && e - r < MARKER_EVERY_MS * 0.8) best = r;
    if (best !== undefined) out.push({ at: best, delayMs: e - best });
  }
  return out;
}

/**
 * The delays in slices of a window, by when their burst was sent: slice k holds the markers sent
 * from `startMs + k × sliceMs` on. A call's jitter buffers are sized by what they saw while the
 * calls were set up and shrink over the next seconds; the slices show that.
 */
export function sliceByTime(delays: readonly MarkerDelay[], startMs: number, sliceMs: number): number[][] {
  if (!(sliceMs > 0)) throw new Error(`sliceMs must be positive, got ${sliceMs}`);
  const slices: number[][] = [];
  for (const { at, delayMs } of delays) {
    const k = Math.floor((at - startMs) / sliceMs);
    if (k < 0) continue;
    while (slices.length <= k) slices.push([]);
    slices[k]!.push(delayMs);
  }
  return slices;
}
