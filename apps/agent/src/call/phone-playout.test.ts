import { initializeLogger, voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { heardPlayback, PhonePlayoutOutput } from './phone-playout.js';

// LiveKit Agents' outputs log through its logger, which the worker sets up at start.
initializeLogger({ pretty: false, level: 'fatal' });

const SAID = 'Your appointment is on Tuesday at ten in the morning.';

/** The room's output as LiveKit Agents sees it: counts segments, reports where playback stopped. */
class FakeRoomOutput extends voice.AudioOutput {
  cleared = 0;
  constructor() {
    super(24_000);
  }
  override clearBuffer(): void {
    this.cleared++;
  }
  finish(ev: voice.PlaybackFinishedEvent): void {
    this.onPlaybackFinished(ev);
  }
}

const frame = () => new AudioFrame(new Int16Array(480), 24_000, 1, 480);

describe('PhonePlayoutOutput', () => {
  it('reports an interrupted segment at the position the caller heard, with the words cut to match', async () => {
    const room = new FakeRoomOutput();
    const asked: number[] = [];
    const out = new PhonePlayoutOutput(
      room,
      async (playedMs) => {
        asked.push(playedMs);
        return { cut: true, heardMs: 1000, sentMs: 4000 };
      },
      pino({ level: 'silent' }),
    );
    await out.captureFrame(frame());
    out.flush();
    expect(out.capturedPlayoutSegments).toBe(1);
    out.clearBuffer();
    expect(room.cleared).toBe(1);
    room.finish({ playbackPosition: 2, interrupted: true, synchronizedTranscript: SAID });
    const ev = await out.waitForPlayout();
    expect(asked).toEqual([2000]);
    expect(ev).toEqual({
      playbackPosition: 1,
      interrupted: true,
      synchronizedTranscript: 'Your appointment is on',
    });
    // Asked once per segment, however often its end is awaited.
    expect(await out.waitForPlayout()).toEqual(ev);
    expect(asked).toHaveLength(1);
  });

  it('passes a segment played to its end through, and keeps its own position when the bridge cannot say', async () => {
    const played = { playbackPosition: 3, interrupted: false, synchronizedTranscript: SAID };
    expect(heardPlayback(played, { cut: true, heardMs: 100, sentMs: 3000 })).toBe(played);
    const cut = { ...played, interrupted: true };
    expect(heardPlayback(cut, undefined)).toBe(cut);
    expect(heardPlayback(cut, { cut: false })).toBe(cut);
    // The bridge's figure counts from its first frame; it never moves the point later.
    expect(heardPlayback(cut, { cut: true, heardMs: 3500, sentMs: 3600 })).toBe(cut);
  });
});
