// A caller who speaks the moment the call connects, before the agent is ready: the whole stack as
// real processes (livekit-server, bridge, agent worker with the real OpenAI plugin, the Realtime
// and Twilio simulators). Their first words must reach the model, not be dropped on the way.
import { dispose } from '@livekit/rtc-node';
import { decimate, rmsDbfs, segmentedCorrelation, speechPcm } from '@callbridge/testkit/audio-fixtures';
import { waitFor } from '@callbridge/testkit/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/lib/stack.js';

const FIRST_WORDS = 'Hello, I need to cancel my appointment for tomorrow.';

let stack: Stack;

/** How much of a signal (8 kHz) is speech: 20 ms windows at -40 dBFS or louder, in ms. */
function voicedMs(pcm: Int16Array): number {
  let n = 0;
  for (let i = 0; i + 160 <= pcm.length; i += 160) if (rmsDbfs(pcm, i, i + 160) >= -40) n++;
  return n * 20;
}

beforeAll(async () => {
  stack = await startStack({
    script: { greeting: { say: 'Hello, how can I help?' }, reply: () => ({ say: 'Of course.' }) },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await dispose();
});

describe('the caller’s first words', () => {
  it('reach the model when the caller speaks at stream start, before the agent is ready', async () => {
    const rt = stack.realtime!;
    const sessionsBefore = rt.sessions.length;
    const call = await stack.placeCall();
    // The stream has just started (placeCall resolves with `start` sent): speak at once.
    const speech = speechPcm({ text: FIRST_WORDS, sampleRate: 8000 });
    await call.sendAudio(speech);

    // The model's VAD ends the caller's turn once it has heard the words and the silence after them.
    const session = await waitFor('the call’s model session', () => rt.sessions[sessionsBefore]);
    await rt.events.waitFor(
      (e) => e.sessionId === session.id && e.type === 'input_audio_buffer.speech_stopped',
      30_000,
      'end of the caller’s first turn at the model',
    );
    // What the model received (24 kHz, through μ-law, Opus and three resamplers) holds all of the
    // speech: as much voiced audio as was sent (dropped first words are missing seconds of it), and
    // the words, in order (each 300 ms piece found in it; a loaded box's jitter buffer can stretch
    // single pieces, so the median is what counts).
    const received = decimate(session.inputAudio(), 3);
    const sent = voicedMs(speech);
    const heard = voicedMs(received);
    const match = segmentedCorrelation(speech, received, 2400);
    console.log(
      `first words: voiced ${heard} of ${sent} ms reached the model; ${match.peaks.length} pieces, ` +
        `peaks ${match.peaks.map((p) => p.toFixed(2)).join(' ')}`,
    );
    expect(heard).toBeGreaterThan(0.75 * sent);
    expect(match.median).toBeGreaterThan(0.7);
    expect(match.inOrder).toBe(true);
    await call.hangup();
  });
});
