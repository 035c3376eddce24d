import {
  parseMarkName,
  PROGRESS_MARK_INTERVAL_MS,
  progressMark,
  utteranceEndMark,
} from '@callbridge/twilio-media';

/** How much of an agent utterance the caller heard, when their playback was cleared. */
export interface HeardReport {
  /** The relay's utterance number. */
  utterance: number;
  /** Audio of the utterance the caller heard before the clear, in ms. */
  heardMs: number;
  /** Audio of the utterance sent to Twilio, in ms. */
  sentMs: number;
}

const FRAME_MS = 20;

/**
 * Where the caller's playback is, from Twilio's mark echoes. Twilio plays what we send in real
 * time from its own buffer, which may hold seconds (a network stall delivers audio in a burst), so
 * what we sent is not what the caller heard. Each utterance carries progress marks (one before its
 * first frame, then one every {@link PROGRESS_MARK_INTERVAL_MS}); an echo means the caller heard up
 * to it. Between echoes playback runs in real time, so the position is the last echo plus the time
 * since, but never past the next mark (playback may have stalled) nor past what was sent. Echoes
 * that come back because of a `clear` are not playback and are ignored.
 */
export class CallerPlayback {
  private utterance = 0;
  private sentMs = 0;
  private nextMarkMs = 0;
  private heardMs = 0;
  private heardAt: number | undefined;
  private endPending = false;
  private frozen: HeardReport | undefined;

  constructor(
    private readonly now: () => number,
    private readonly intervalMs = PROGRESS_MARK_INTERVAL_MS,
  ) {}

  /** An utterance starts: the mark to send before its first frame. */
  startUtterance(): string {
    this.utterance++;
    this.sentMs = 0;
    this.nextMarkMs = this.intervalMs;
    this.heardMs = 0;
    this.heardAt = undefined;
    this.endPending = false;
    return progressMark(this.utterance, 0);
  }

  /** One 20 ms frame went to Twilio: a progress mark to send after it, when one is due. */
  frameSent(): string | undefined {
    this.sentMs += FRAME_MS;
    if (this.sentMs < this.nextMarkMs) return undefined;
    const mark = progressMark(this.utterance, this.nextMarkMs);
    this.nextMarkMs += this.intervalMs;
    return mark;
  }

  /** The utterance's last frame went out: the mark that closes it. */
  endUtterance(): string {
    this.endPending = true;
    return utteranceEndMark(this.utterance);
  }

  markEchoed(name: string): void {
    const mark = parseMarkName(name);
    if (!mark || mark.utterance !== this.utterance || this.frozen?.utterance === this.utterance) return;
    if (mark.kind === 'utterance_end') {
      this.endPending = false;
      this.heardMs = this.sentMs;
      this.heardAt = this.now();
    } else if (mark.ms >= this.heardMs) {
      this.heardMs = mark.ms;
      this.heardAt = this.now();
    }
  }

  /** What the caller has heard of the current utterance by now, in ms. */
  heardNow(): number {
    if (this.heardAt === undefined) return 0;
    const since = Math.min(this.now() - this.heardAt, this.intervalMs);
    return Math.min(this.sentMs, this.heardMs + Math.max(0, since));
  }

  /** Audio of the current utterance may still be playing or waiting at Twilio. */
  get unplayed(): boolean {
    return this.frozen?.utterance !== this.utterance && (this.endPending || this.heardNow() < this.sentMs);
  }

  /** The caller's playback was cleared now: what they heard of the utterance is final. */
  cleared(): HeardReport {
    this.frozen = { utterance: this.utterance, heardMs: Math.round(this.heardNow()), sentMs: this.sentMs };
    return this.frozen;
  }

  /** The report of the last clear, if it cut the current (or last) utterance. */
  get clearedReport(): HeardReport | undefined {
    return this.frozen?.utterance === this.utterance ? this.frozen : undefined;
  }
}
