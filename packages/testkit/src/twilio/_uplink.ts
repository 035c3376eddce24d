/**
 * What the caller says, on its way to the server: queued 8 kHz PCM cut into one 20 ms μ-law frame
 * per tick, line silence when nothing is queued (a live line keeps sending), and the moments the
 * caller's own audio went from silence to sound.
 */
import { FRAME_SAMPLES, SILENCE_PEAK } from './_line-frame.js';
import { LineMarkers } from './_line-markers.js';
import { encodeMulaw, MULAW_SILENCE, mulawPeak } from './_mulaw.js';

const SILENCE_PAYLOAD = Buffer.alloc(FRAME_SAMPLES, MULAW_SILENCE).toString('base64');

export class Uplink {
  /** Wall-clock times at which the caller's own audio went from silence to sound (was sent). */
  readonly onsets: number[] = [];
  /** Latency markers in what the caller sent, timed from when each frame really went out. */
  readonly markers = new LineMarkers();
  private readonly queue: Int16Array[] = [];
  private offset = 0;
  private queuedSamples = 0;
  private sentSamples = 0;
  /** Resolved once the audio queued before them has gone out. */
  private readonly waiters: { until: number; resolve: () => void }[] = [];
  private readonly frame = new Uint8Array(FRAME_SAMPLES);
  private lastSilent = true;

  /** Queues caller audio; resolves once its last frame has been sent. */
  enqueue(pcm8k: Int16Array): Promise<void> {
    if (pcm8k.length === 0) return Promise.resolve();
    this.queue.push(pcm8k);
    this.queuedSamples += pcm8k.length;
    const until = this.queuedSamples;
    return new Promise((resolve) => this.waiters.push({ until, resolve }));
  }

  /** The base64 payload of the frame due at `dueMs`: queued audio, else line silence. */
  nextPayload(dueMs: number): string {
    if (this.queue.length === 0) return SILENCE_PAYLOAD;
    let filled = 0;
    while (filled < FRAME_SAMPLES && this.queue.length > 0) {
      const head = this.queue[0] as Int16Array;
      const n = Math.min(FRAME_SAMPLES - filled, head.length - this.offset);
      encodeMulaw(head.subarray(this.offset, this.offset + n), this.frame, filled);
      filled += n;
      this.offset += n;
      if (this.offset === head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    this.frame.fill(MULAW_SILENCE, filled);
    this.sentSamples += filled;
    const silent = mulawPeak(this.frame, 0, filled) < SILENCE_PEAK;
    if (!silent && this.lastSilent) this.onsets.push(dueMs);
    // The frame carries the 20 ms of the caller's timeline from when it is sent (now, even when
    // this tick runs late).
    this.markers.push(this.frame, performance.now());
    this.lastSilent = silent;
    return Buffer.from(this.frame).toString('base64');
  }

  /** The frame went out: resolves the waiters whose audio has now been sent. */
  frameSent(): void {
    while (this.waiters.length > 0 && (this.waiters[0]?.until ?? Infinity) <= this.sentSamples) {
      this.waiters.shift()?.resolve();
    }
  }

  /** The line closed: audio that can no longer be sent will never be, so nobody is left waiting. */
  releaseAll(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }
}
