import { createDownlink } from '@callbridge/audio';
import { describe, expect, it } from 'vitest';
import { AgentAudioRelay } from './agent-audio-relay.js';

const RATE = 48_000;
const FRAME = RATE / 50; // 20 ms, as LiveKit hands the bridge the agent's audio

/** 20 ms of a 440 Hz tone (loud) or of silence. */
function frame(loud: boolean, index: number): Int16Array {
  const pcm = new Int16Array(FRAME);
  if (loud)
    for (let i = 0; i < FRAME; i++)
      pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (index * FRAME + i)) / RATE));
  return pcm;
}

/** A relay on a fake clock with a recording sink; `play` feeds 20 ms frames and advances time. */
function setup(opts: { callerActiveAt?: () => number } = {}) {
  let now = 0;
  const sent: string[] = [];
  const relay = new AgentAudioRelay({
    ...opts,
    downlink: createDownlink({ inputRate: RATE }),
    sink: {
      sendMedia: () => void sent.push('media'),
      sendMark: (name) => void sent.push(`mark:${name}`),
      sendClear: () => void sent.push('clear'),
    },
    now: () => now,
  });
  let index = 0;
  const play = (ms: number, loud: boolean) => {
    for (let t = 0; t < ms; t += 20) {
      relay.onAgentAudio(frame(loud, index++), RATE, 1);
      now += 20;
    }
  };
  const count = (what: string) => sent.filter((s) => s === what).length;
  return { relay, sent, play, count, advance: (ms: number) => (now += ms) };
}

describe('AgentAudioRelay', () => {
  it('hands each frame it sends to Twilio to onFrameSent (the recording), byte for byte', () => {
    const payloads: string[] = [];
    const frames: string[] = [];
    const relay = new AgentAudioRelay({
      downlink: createDownlink({ inputRate: RATE }),
      sink: { sendMedia: (p) => void payloads.push(p), sendMark: () => {}, sendClear: () => {} },
      onFrameSent: (ulaw) => void frames.push(Buffer.from(ulaw).toString('base64')),
      now: () => 0,
    });
    relay.onAgentState('speaking');
    for (let i = 0; i < 10; i++) relay.onAgentAudio(frame(true, i), RATE, 1);
    expect(payloads.length).toBeGreaterThanOrEqual(9);
    expect(frames).toEqual(payloads);
  });

  it('relays the agent speaking as 20 ms media frames, and ignores idle silence', () => {
    const t = setup();
    t.play(200, false);
    expect(t.sent).toEqual([]);
    t.relay.onAgentState('speaking');
    t.play(400, true);
    // 20 frames of audio in, 20 media frames out (less what the resampler holds back).
    expect(t.count('media')).toBeGreaterThanOrEqual(19);
    expect(t.count('media')).toBeLessThanOrEqual(20);
    expect(t.sent).not.toContain('clear');
  });

  it('ends a finished utterance with one mark, and no clear, when the agent stops after a silent tail', () => {
    const t = setup();
    t.relay.onAgentState('speaking');
    t.play(400, true);
    t.play(200, false); // the end of the sentence: a tail of silence
    t.relay.onAgentState('listening');
    t.play(400, false);
    expect(t.sent).not.toContain('clear');
    expect(t.sent.filter((s) => s.startsWith('mark:utterance-'))).toEqual(['mark:utterance-1']);
    expect(t.relay.unplayedMarks).toEqual(['utterance-1']);
    t.relay.onMarkEchoed('utterance-1');
    expect(t.relay.unplayedMarks).toEqual([]);
  });

  it('ends the utterance by its silent audio when a stall hands that audio over at once', () => {
    const t = setup();
    t.relay.onAgentState('speaking');
    t.play(400, true);
    t.play(100, false);
    t.relay.onAgentState('listening');
    const before = t.count('media');
    // The bridge's event loop stalled 2 s: LiveKit hands over the silence it queued, all at once.
    for (let i = 0; i < 100; i++) t.relay.onAgentAudio(frame(false, i), RATE, 1);
    expect(t.sent.filter((s) => s.startsWith('mark:utterance-'))).toEqual(['mark:utterance-1']);
    // The rest of the 300 ms hangover went to Twilio (at most 15 frames of 20 ms), not 2 s of
    // silence that the agent's next words would have waited behind at the caller.
    expect(t.count('media') - before).toBeLessThanOrEqual(15);
    // The agent's next words go out at once, behind no silence.
    const idle = t.count('media');
    t.relay.onAgentState('speaking');
    t.play(100, true);
    expect(t.count('media') - idle).toBeGreaterThanOrEqual(4);
  });

  it('clears the caller at once when the agent leaves speaking mid-word (interrupted), and drops the tail', () => {
    const t = setup();
    t.relay.onAgentState('speaking');
    t.play(400, true);
    t.relay.onAgentState('listening');
    expect(t.sent.at(-1)).toBe('clear');
    const mediaAtClear = t.count('media');
    t.play(200, true); // audio still in flight from the agent after it was cut off
    expect(t.count('media')).toBe(mediaAtClear);
    // The agent's next turn is relayed again.
    t.relay.onAgentState('speaking');
    t.play(200, true);
    expect(t.count('media')).toBeGreaterThan(mediaAtClear);
    expect(t.relay.clears).toBe(1);
  });

  it('closes utterances by silence for an agent that publishes no state', () => {
    const t = setup();
    t.play(400, true);
    t.play(400, false);
    expect(t.sent.filter((s) => s.startsWith('mark:utterance-'))).toEqual(['mark:utterance-1']);
    t.play(200, true);
    t.play(400, false);
    expect(t.sent.filter((s) => s.startsWith('mark:utterance-'))).toEqual([
      'mark:utterance-1',
      'mark:utterance-2',
    ]);
    expect(t.sent).not.toContain('clear');
  });

  it('with the caller silent, a reply whose last audio lags its state change is not cleared', () => {
    let callerAt = Number.NEGATIVE_INFINITY;
    const t = setup({ callerActiveAt: () => callerAt });
    t.relay.onAgentState('speaking');
    t.play(400, true);
    // The state change overtook the reply's last loud frames (it travels faster than the audio).
    t.relay.onAgentState('listening');
    t.play(60, true);
    t.play(400, false);
    expect(t.sent).not.toContain('clear');
    expect(t.sent.filter((s) => s.startsWith('mark:utterance-'))).toEqual(['mark:utterance-1']);
    // A caller who speaks over the agent still clears it at once.
    t.relay.onAgentState('speaking');
    t.play(400, true);
    callerAt = 800;
    t.relay.onAgentState('listening');
    expect(t.sent.at(-1)).toBe('clear');
  });

  it('marks its progress through an utterance, and reports what the caller heard when the agent was interrupted', () => {
    const t = setup();
    t.relay.onAgentState('speaking');
    t.play(1000, true);
    const marks = t.sent.filter((s) => s.startsWith('mark:heard-1-')).map((s) => s.slice(5));
    // One before the first frame, then one every 100 ms of audio sent.
    expect(marks.slice(0, 4)).toEqual(['heard-1-0', 'heard-1-100', 'heard-1-200', 'heard-1-300']);
    // Twilio had a burst buffered: the caller only reached 300 ms, 40 ms ago.
    t.relay.onMarkEchoed('heard-1-0');
    t.relay.onMarkEchoed('heard-1-100');
    t.relay.onMarkEchoed('heard-1-300');
    t.advance(40);
    const report = t.relay.interruptedByAgent();
    expect(t.sent.at(-1)).toBe('clear');
    expect(report).toMatchObject({ utterance: 1, heardMs: 340 });
    expect(report!.sentMs).toBeGreaterThanOrEqual(960);
    // Marks Twilio flushes because of the clear are not playback; asking again gives the same answer.
    t.relay.onMarkEchoed('heard-1-900');
    expect(t.relay.interruptedByAgent()).toEqual(report);
    expect(t.count('clear')).toBe(1);
  });

  it('does not clear an utterance the caller heard to its end, and stops extrapolating at the next mark', () => {
    const t = setup();
    t.relay.onAgentState('speaking');
    t.play(400, true);
    t.play(400, false);
    t.relay.onAgentState('listening');
    t.play(400, false);
    expect(t.sent.filter((s) => s.startsWith('mark:utterance-'))).toEqual(['mark:utterance-1']);
    // Its audio is still buffered at Twilio: an interruption now still clears it.
    t.relay.onMarkEchoed('heard-1-200');
    t.advance(5_000); // playback stalled after that mark: no more than the next mark is assumed heard
    const report = t.relay.interruptedByAgent();
    expect(report?.heardMs).toBe(300);
    expect(t.count('clear')).toBe(1);

    const heard = setup();
    heard.relay.onAgentState('speaking');
    heard.play(400, true);
    heard.play(400, false);
    heard.relay.onAgentState('listening');
    heard.play(400, false);
    heard.relay.onMarkEchoed('utterance-1');
    expect(heard.relay.interruptedByAgent()).toBeUndefined();
    expect(heard.sent).not.toContain('clear');
  });
});
