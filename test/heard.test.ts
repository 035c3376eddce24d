// What the caller heard of an interrupted answer, on the whole stack (real processes): Twilio had
// seconds of the answer buffered (the network to it stalled, then delivered the backlog at once),
// the caller talked over it, and the model's context and the call record keep only what the
// caller heard, not what LiveKit had played out at the bridge.
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { synthesize } from '@callbridge/testkit/realtime';
import { waitFor } from '@callbridge/testkit/wait';
import { PROGRESS_MARK_INTERVAL_MS } from '@callbridge/testkit/twilio';
import { afterAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../scripts/lib/stack.js';
import { playedOut } from './_caller.js';

const VOICE = 'marin';
const GREETING = 'Hello, thanks for calling Sunrise Clinic. How can I help you today?';
const LONG_ANSWER =
  'We have many openings next week: Monday at nine, Monday at eleven, Tuesday at ten, ' +
  'Wednesday at two, Thursday at four, Friday morning at eight thirty, and Saturday at noon.';
const STALL_MS = 2500;
const API_KEY = 'heard-test-api-key-0123456789abcdef';
/** Twilio's media frame. */
const FRAME_MS = 20;

let stack: Stack | undefined;
afterAll(async () => {
  await stack?.stop();
  await dispose();
});

describe('what the caller heard', () => {
  it('truncates an interrupted answer where the caller stopped hearing it, with seconds still buffered at Twilio', async () => {
    const s = (stack = await startStack({
      script: {
        greeting: { say: GREETING },
        turns: { 1: { say: LONG_ANSWER }, 2: { say: 'Okay.' } },
      },
      agentEnv: { OPENAI_VOICE: VOICE },
      bridgeEnv: { API_KEY },
    }));
    const rt = s.realtime!;
    const call = await s.placeCall();
    await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    await playedOut(call, 'the greeting');
    const playedBefore = call.playedAudioMs;

    await call.sendAudio(speechPcm({ text: 'What times do you have?', sampleRate: 8000 }));
    await call.waitForAudioOnset(performance.now() - 200, 20_000);
    // Into the answer, the network to Twilio stalls; the backlog then arrives at once and waits
    // in Twilio's buffer, so the caller is STALL_MS behind what the bridge (and LiveKit) played.
    await waitFor('half a second of the answer heard', () => call.playedAudioMs >= playedBefore + 500);
    call.stallDownlink(STALL_MS);
    await waitFor('the backlog buffered at Twilio', () => call.bufferedPlaybackMs >= STALL_MS - 300, {
      timeoutMs: STALL_MS + 10_000,
    });
    await waitFor('two seconds of the answer heard', () => call.playedAudioMs >= playedBefore + 2000, {
      timeoutMs: 10_000,
    });
    expect(call.bufferedPlaybackMs).toBeGreaterThan(STALL_MS / 2);

    // The caller talks over it.
    const interruptAt = Date.now();
    const cleared = new Promise<{ playedMs: number }>((resolve) => call.once('clear', resolve));
    void call.sendAudio(speechPcm({ text: 'Wait, stop, Tuesday at ten please.', sampleRate: 8000 }));
    const heardMs = (await cleared).playedMs - playedBefore;
    const truncate = await rt.events.waitFor(
      (e) => e.direction === 'client' && e.type === 'conversation.item.truncate' && e.at >= interruptAt,
      20_000,
      'the truncation of the interrupted answer',
    );
    const audioEndMs = truncate.body.audio_end_ms as number;
    console.log(JSON.stringify({ heard_ms: heardMs, truncate_audio_end_ms: audioEndMs }));
    // The model keeps what the caller heard. The bridge knows it from Twilio's echoes of marks
    // sent every PROGRESS_MARK_INTERVAL_MS, echoed at the end of the 20 ms frame that reached them,
    // assuming real-time playback in between; the phone plays on until the clear reaches it.
    // LiveKit's own position was STALL_MS further on.
    expect(Math.abs(audioEndMs - heardMs)).toBeLessThanOrEqual(PROGRESS_MARK_INTERVAL_MS + 2 * FRAME_MS);

    // The call record holds the words the caller heard, not those still buffered at Twilio.
    const totalMs = (synthesize(LONG_ANSWER, VOICE).length / 24_000) * 1000;
    const heardShare = heardMs / totalMs;
    const line = await waitFor('the answer in the call record', async () => {
      const res = await fetch(`${s.bridgeUrl}/api/calls/${call.callSid}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      const record = (await res.json()) as { transcript?: { speaker: string; text: string }[] };
      return record.transcript?.find((l) => l.speaker === 'agent' && l.text.startsWith('We have'));
    });
    console.log(JSON.stringify({ heard_share: heardShare, recorded: line.text }));
    expect(LONG_ANSWER.startsWith(line.text)).toBe(true);
    // Speech runs at a near-even pace: the recorded share of the words is the heard share of the
    // audio, within two words either way; what LiveKit had played out was STALL_MS more.
    const recordedShare = line.text.length / LONG_ANSWER.length;
    const wordShare = 16 / LONG_ANSWER.length;
    expect(recordedShare).toBeLessThanOrEqual(heardShare + wordShare);
    expect(recordedShare).toBeGreaterThanOrEqual(heardShare - wordShare);
    await call.hangup();
  }, 180_000);
});
