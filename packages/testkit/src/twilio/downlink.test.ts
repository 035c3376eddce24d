import { afterEach, describe, expect, it, vi } from 'vitest';
import { Downlink } from './_downlink.js';
import { MULAW_SILENCE, encodeMulaw } from './_mulaw.js';
import { Uplink } from './_uplink.js';

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

/** 160 μ-law bytes of silence with a loud 1 kHz tone from sample `from` on. */
function toneFrom(from: number): Uint8Array {
  const pcm = new Int16Array(160);
  for (let i = from; i < 160; i++)
    pcm[i] = Math.round(16_000 * Math.sin((2 * Math.PI * 1000 * (i - from + 1)) / 8000));
  const out = new Uint8Array(160);
  encodeMulaw(pcm, out);
  return out;
}

describe('latency markers on the line, timed to their first loud sample', () => {
  afterEach(() => vi.restoreAllMocks());

  it('received at Twilio: each message ends at its arrival; a burst counts after 40 ms of quiet or pause', () => {
    const d = new Downlink(false);
    d.media(new Uint8Array(160).fill(MULAW_SILENCE), 1000);
    d.media(toneFrom(80), 1020); // loud from 10 ms into the message, which ends now
    d.media(toneFrom(0), 1040); // the same burst goes on: no new marker
    d.mark('progress-1'); // marks say nothing about the audio
    d.media(toneFrom(0), 1060);
    const quietFrame = new Uint8Array(160).fill(MULAW_SILENCE);
    d.media(quietFrame, 1080);
    d.media(toneFrom(0), 1100); // only 20 ms of quiet since the last loud sample: not a new burst
    d.media(toneFrom(40), 1500); // after a pause with nothing sent: a new burst
    expect(d.receivedMarkers.onsets).toEqual([1010, 1485]);
  });

  it('heard: from when the frame really played, plus the burst’s place in it', () => {
    const d = new Downlink(false);
    d.media(toneFrom(120), 1000);
    vi.spyOn(performance, 'now').mockReturnValue(2003); // the tick due at 2000 ran 3 ms late
    expect(d.playFrame(2000, 2000)).toBe(0);
    expect(d.audioOnsets).toEqual([2000]);
    expect(d.heardMarkers.onsets).toEqual([2018]);
  });

  it('sent: from when the frame really went out, plus the burst’s place in the caller’s audio', () => {
    const u = new Uplink();
    const pcm = new Int16Array(480);
    for (let i = 200; i < 480; i++) pcm[i] = 12_000;
    void u.enqueue(pcm);
    const now = vi.spyOn(performance, 'now');
    for (const due of [100, 120, 140]) {
      now.mockReturnValue(due + 1);
      u.nextPayload(due);
    }
    expect(u.onsets).toEqual([120]);
    expect(u.markers.onsets).toEqual([126]);
  });
});
