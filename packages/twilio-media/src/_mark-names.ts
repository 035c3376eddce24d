/**
 * The names callbridge gives the `mark` messages it sends (Twilio treats a name as opaque and
 * echoes it once the audio sent before the mark has played, or at once on `clear`):
 *
 * - `utterance-<n>` after the last frame of agent utterance n: its echo means the caller heard it all.
 * - `heard-<n>-<ms>` inside utterance n, before its first frame (ms 0) and then every
 *   {@link PROGRESS_MARK_INTERVAL_MS} of audio: an echo not caused by a `clear` means the caller
 *   has heard that much of it (how the bridge knows what the caller heard when they interrupt).
 */

/** Audio between two progress marks: five 20 ms frames. */
export const PROGRESS_MARK_INTERVAL_MS = 100;

export type CallbridgeMark =
  { kind: 'utterance_end'; utterance: number } | { kind: 'progress'; utterance: number; ms: number };

export function utteranceEndMark(utterance: number): string {
  return `utterance-${utterance}`;
}

export function progressMark(utterance: number, ms: number): string {
  return `heard-${utterance}-${ms}`;
}

/** Reads one of our mark names back; undefined for any other name. */
export function parseMarkName(name: string): CallbridgeMark | undefined {
  const end = /^utterance-(\d{1,9})$/.exec(name);
  if (end) return { kind: 'utterance_end', utterance: Number(end[1]) };
  const progress = /^heard-(\d{1,9})-(\d{1,9})$/.exec(name);
  if (progress) return { kind: 'progress', utterance: Number(progress[1]), ms: Number(progress[2]) };
  return undefined;
}
