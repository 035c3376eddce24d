import { describe, expect, it } from 'vitest';
import { parseMarkName, progressMark, utteranceEndMark } from './_mark-names.js';

describe('callbridge mark names', () => {
  it('round-trips the utterance-end and progress marks, and ignores other names', () => {
    expect(parseMarkName(utteranceEndMark(7))).toEqual({ kind: 'utterance_end', utterance: 7 });
    expect(parseMarkName(progressMark(7, 300))).toEqual({ kind: 'progress', utterance: 7, ms: 300 });
    expect(progressMark(1, 0)).toBe('heard-1-0');
    for (const other of ['echoed', 'utterance-', 'heard-1', 'heard-x-1', 'utterance-1-2', ''])
      expect(parseMarkName(other)).toBeUndefined();
  });
});
