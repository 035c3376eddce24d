/**
 * Twilio's side of a bidirectional stream, as its docs describe it: `media` from the server is
 * queued and played to the caller in order; a `mark` is echoed back once all audio queued before
 * it has played; `clear` drops the queued audio and echoes every pending mark at once.
 *
 * Timing model: the line plays one 20 ms frame per clock tick. Marks are reported at frame
 * boundaries: a mark reached during frame k (its audio ended inside k) is echoed when frame k has
 * finished, i.e. at the start of tick k+1.
 */
import { MULAW_SILENCE } from './_mulaw.js';

type Item = { kind: 'audio'; bytes: Uint8Array } | { kind: 'mark'; name: string };

export class PlaybackBuffer {
  private items: Item[] = [];
  private head = 0;
  /** Bytes of the head audio item already played. */
  private offset = 0;
  /** Marks passed part-way through the frame just played; echoed when it ends. */
  private reached: string[] = [];
  private queuedBytes = 0;

  /** Audio waiting to be played, in bytes (= samples at 8 kHz). */
  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  enqueueAudio(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.items.push({ kind: 'audio', bytes });
    this.queuedBytes += bytes.length;
  }

  enqueueMark(name: string): void {
    this.items.push({ kind: 'mark', name });
  }

  /** Called at the start of each frame: marks that playback has reached by now. */
  takeReachedMarks(): string[] {
    const out = this.reached;
    this.reached = [];
    // Marks at the head have no audio left before them.
    for (let item = this.items[this.head]; item?.kind === 'mark'; item = this.items[this.head]) {
      out.push(item.name);
      this.head++;
    }
    this.compact();
    return out;
  }

  /**
   * Plays the next frame into `out` (silence where no audio is queued). Returns how many bytes
   * came from queued audio.
   */
  pullFrame(out: Uint8Array): number {
    let filled = 0;
    while (filled < out.length) {
      const item = this.items[this.head];
      if (!item) break;
      if (item.kind === 'mark') {
        // Reached inside this frame if audio already played in it; otherwise it is a head mark
        // that takeReachedMarks() reports at the next boundary.
        if (filled === 0) break;
        this.reached.push(item.name);
        this.head++;
        continue;
      }
      const n = Math.min(out.length - filled, item.bytes.length - this.offset);
      out.set(item.bytes.subarray(this.offset, this.offset + n), filled);
      filled += n;
      this.offset += n;
      this.queuedBytes -= n;
      if (this.offset === item.bytes.length) {
        this.head++;
        this.offset = 0;
      }
    }
    if (filled < out.length) out.fill(MULAW_SILENCE, filled);
    this.compact();
    return filled;
  }

  /** Drops all queued audio; returns every mark not yet echoed, in order. */
  clear(): string[] {
    const marks = this.reached;
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if (item?.kind === 'mark') marks.push(item.name);
    }
    this.items = [];
    this.head = 0;
    this.offset = 0;
    this.reached = [];
    this.queuedBytes = 0;
    return marks;
  }

  /** Drops consumed items once they dominate the array, keeping shifts amortised O(1). */
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
