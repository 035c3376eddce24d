/**
 * What the caller heard of an interrupted agent utterance, as text. Both sides cut the agent's
 * words the same way: the agent for the model's context, the bridge for the call record.
 */

/**
 * The words of `text` that fit in `fraction` of it: speech runs at a near-even pace, so the share
 * of the audio heard is the share of the text. Whole words only (a word cut in the middle was not
 * heard whole); `fraction` ≥ 1 keeps everything, ≤ 0 (or NaN) nothing.
 */
export function heardTranscript(text: string, fraction: number): string {
  if (!(fraction > 0)) return '';
  if (fraction >= 1) return text;
  const keep = Math.floor(text.length * fraction);
  if (keep < text.length && /\S/.test(text[keep]!)) {
    const boundary = text.lastIndexOf(' ', keep);
    return boundary <= 0 ? '' : text.slice(0, boundary).trimEnd();
  }
  return text.slice(0, keep).trimEnd();
}
