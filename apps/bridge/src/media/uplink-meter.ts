import type { BridgeMetrics } from '../metrics.js';

/** Twilio sends a frame every 20 ms; one later than this after the previous is counted late. */
const LATE_GAP_MS = 40;

/**
 * The caller's side of a call in numbers: frames in, frames late or missing (by Twilio's chunk
 * number), frames the phone's backlog dropped, and the cost of converting one frame in eight.
 */
export class UplinkMeter {
  framesIn = 0;
  private lastMediaAt = 0;
  private lastChunk = 0;

  constructor(
    private readonly metrics: Pick<
      BridgeMetrics,
      'framesIn' | 'lateFrames' | 'uplinkDropped' | 'conversionSeconds' | 'uplinkPressure'
    >,
  ) {}

  /** A caller frame arrived with Twilio's chunk number; returns its arrival time. */
  arrived(chunk: number): number {
    const now = performance.now();
    if (this.lastMediaAt > 0 && now - this.lastMediaAt > LATE_GAP_MS)
      this.metrics.lateFrames.inc({ kind: 'late' });
    if (this.lastChunk > 0 && chunk > this.lastChunk + 1) {
      this.metrics.lateFrames.inc({ kind: 'missing' }, chunk - this.lastChunk - 1);
    }
    this.lastMediaAt = now;
    this.lastChunk = chunk;
    return now;
  }

  /**
   * The frame that arrived at `arrivedAt` was converted and handed on; `dropped` frames were dropped
   * doing so; the phone's capture backlog was `backlogMs` (admission reads both).
   */
  delivered(arrivedAt: number, dropped: number, backlogMs = 0): void {
    const measure = (++this.framesIn & 7) === 0;
    this.metrics.framesIn.inc();
    this.metrics.uplinkPressure.note(dropped, backlogMs);
    if (dropped > 0) this.metrics.uplinkDropped.inc(dropped);
    if (measure)
      this.metrics.conversionSeconds.observe({ direction: 'up' }, (performance.now() - arrivedAt) / 1000);
  }
}
