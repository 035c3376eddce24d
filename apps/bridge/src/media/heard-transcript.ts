import { heardTranscript } from '@callbridge/room-contract';
import type { TranscriptLine } from '../records/schema.js';
import type { HeardReport } from './caller-playback.js';

/**
 * The agent's side of the call record as the caller heard it. The agent's transcript of an
 * utterance arrives when LiveKit has played it out, while Twilio may still be playing it to the
 * caller; so an agent line is held until the caller has heard the utterance to its end (its mark
 * came back) or their playback was cleared, and then recorded whole or cut to the share heard.
 * A line that arrives after the clear that cut it (it opened before the clear) is cut too.
 */
export class HeardTranscript {
  private held: TranscriptLine[] = [];
  private lastCut: { at: number; fraction: number } | undefined;

  constructor(
    private readonly record: (line: TranscriptLine) => void,
    /** Whether agent audio is still playing, or waiting to play, at the caller's end. */
    private readonly callerHearing: () => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** A finished transcript line from the room. */
  line(line: TranscriptLine): void {
    if (line.speaker !== 'agent') {
      this.release();
      this.record(line);
      return;
    }
    const cut = this.lastCut;
    if (cut && line.at <= cut.at) {
      this.lastCut = undefined;
      this.record(cutLine(line, cut.fraction));
    } else if (this.callerHearing()) {
      this.held.push(line);
    } else {
      this.release();
      this.record(line);
    }
  }

  /** The caller's playback was cleared: held agent lines are cut to what was heard. */
  cleared(report: HeardReport): void {
    const fraction = report.sentMs > 0 ? report.heardMs / report.sentMs : 1;
    if (this.held.length === 0) {
      this.lastCut = { at: this.now(), fraction };
      return;
    }
    // The held lines are the utterance's text in order: keep the heard share of all of it.
    const total = this.held.reduce((n, l) => n + l.text.length, 0);
    let keep = Math.floor(total * fraction);
    for (const line of this.held.splice(0)) {
      const share = Math.min(1, Math.max(0, keep / line.text.length));
      keep -= line.text.length;
      const cut = cutLine(line, share);
      if (cut.text) this.record(cut);
    }
  }

  /** The caller heard the utterance to its end (or the call is over): held lines go in whole. */
  release(): void {
    for (const line of this.held.splice(0)) this.record(line);
  }
}

function cutLine(line: TranscriptLine, fraction: number): TranscriptLine {
  return { ...line, text: heardTranscript(line.text, fraction) };
}
