import { describe, expect, it } from 'vitest';
import { heardTranscript } from './heard.js';

describe('heardTranscript', () => {
  const text = 'Your appointment is on Tuesday at ten in the morning.';

  it('keeps the share of the words heard, whole words only', () => {
    expect(heardTranscript(text, 1)).toBe(text);
    expect(heardTranscript(text, 2)).toBe(text);
    expect(heardTranscript(text, 0)).toBe('');
    expect(heardTranscript(text, Number.NaN)).toBe('');
    // 0.5 of 53 characters ends inside "Tuesday", 0.6 inside "at": those words are dropped.
    expect(heardTranscript(text, 0.5)).toBe('Your appointment is on');
    expect(heardTranscript(text, 0.6)).toBe('Your appointment is on Tuesday');
    expect(heardTranscript(text, 0.1)).toBe('Your');
    expect(heardTranscript(text, 0.05)).toBe('');
  });
});
