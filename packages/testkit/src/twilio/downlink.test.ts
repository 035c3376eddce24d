import { describe, expect, it } from 'vitest';
import { Downlink } from './_downlink.js';

const frame = () => new Uint8Array(160).fill(0x80);

describe('Downlink media gaps', () => {
  it('records each gap between media messages with the time it ended, and none across a mark', () => {
    const d = new Downlink(false);
    d.media(frame(), 1000);
    d.media(frame(), 1020);
    d.media(frame(), 1075); // 55 ms late
    d.mark('utterance-end');
    d.media(frame(), 1400); // a new stretch of audio: not a gap
    d.media(frame(), 1420);
    d.media(frame(), 2100); // over 500 ms: a pause, not lateness
    expect(d.mediaGapsMs).toEqual([20, 55, 20]);
    expect(d.mediaGapEndsMs).toEqual([1020, 1075, 1420]);
  });
});
