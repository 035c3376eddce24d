/**
 * Latency markers on the phone line: the detector the plain LiveKit hop and the echo participants
 * time their bursts with (a sample of at least 4,000 after 40 ms below it), fed the line's μ-law.
 */
import { MarkerDetector } from '../stats/markers.js';
import { FRAME_SAMPLES, SAMPLES_PER_MS } from './_line-frame.js';
import { decodeMulaw } from './_mulaw.js';

/** What the detector needs between two bursts; a longer pause on the line counts as this much. */
const QUIET = new Int16Array(40 * SAMPLES_PER_MS);

export class LineMarkers {
  /** Each burst's first loud sample, on the clock the audio was given with. */
  readonly onsets: number[] = [];
  private readonly detector = new MarkerDetector(SAMPLES_PER_MS * 1000);
  private pcm = new Int16Array(FRAME_SAMPLES);
  private endMs = Number.NEGATIVE_INFINITY;

  /** A stretch of line audio whose first sample belongs at `startMs`. */
  push(mulaw: Uint8Array, startMs: number): void {
    // Time with no audio on the line (nothing sent, nothing queued) is quiet.
    const pauseSamples = Math.floor((startMs - this.endMs) * SAMPLES_PER_MS);
    if (pauseSamples > 0)
      this.detector.push(QUIET.subarray(0, Math.min(QUIET.length, pauseSamples)), startMs);
    // One buffer of the line's frame size: no allocation per 20 ms frame.
    if (this.pcm.length !== mulaw.length) this.pcm = new Int16Array(mulaw.length);
    const pcm = this.pcm;
    decodeMulaw(mulaw, pcm);
    this.endMs = startMs + mulaw.length / SAMPLES_PER_MS;
    // The detector takes the time its last sample is "now".
    for (const at of this.detector.push(pcm, this.endMs)) this.onsets.push(at);
  }
}
