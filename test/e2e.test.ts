// The whole product on loopback, every piece a real process: livekit-server, the agent worker
// (LiveKit Agents + the real OpenAI plugin) talking to the Realtime simulator, the bridge, and a
// simulated Twilio call carrying espeak speech.
import { dispose } from '@livekit/rtc-node';
import { rmsDbfs, speechPcm } from '@callbridge/testkit/audio-fixtures';
import type { ScriptedReply } from '@callbridge/testkit/realtime';
import { waitFor } from '@callbridge/testkit/wait';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../scripts/lib/stack.js';
import { heardIndex, heardSince, matches, playedOut } from './_caller.js';

const VOICE = 'marin';
const GREETING = 'Hello, thanks for calling Sunrise Clinic. How can I help you today?';
const REPLY = 'Sure. I can book that for you. Which day works best?';
const LONG_REPLY =
  'We have many openings next week: Monday at nine, Monday at eleven, Tuesday at ten, ' +
  'Wednesday at two, Thursday at four, and Friday morning at eight thirty.';

let stack: Stack;
let next: (text: string | undefined) => ScriptedReply = () => ({ say: REPLY });

beforeAll(async () => {
  stack = await startStack({
    script: {
      greeting: { say: GREETING },
      reply: (ctx) => (ctx.trigger === 'greeting' ? undefined : next(ctx.userText)),
    },
    agentEnv: { OPENAI_VOICE: VOICE },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await dispose();
});

describe('a phone call end to end', () => {
  it('greets, answers, stops at barge-in, relays DTMF and hangs up through end_call', async () => {
    const callPlacedAt = Date.now();
    const call = await stack.placeCall();
    const rt = stack.realtime!;

    // 1. The agent speaks first, and the caller hears that very speech.
    const greetingAt = await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    await playedOut(call, 'the greeting');
    const greeting = matches(heardSince(call, greetingAt - 100), GREETING, VOICE);
    expect(greeting.median).toBeGreaterThan(0.7);
    expect(greeting.inOrder).toBe(true);

    // 2. The caller speaks; the model hears a turn and the caller hears the reply.
    next = () => ({ say: REPLY });
    const question = speechPcm({ text: 'I would like to book an appointment please.', sampleRate: 8000 });
    await call.sendAudio(question);
    const replyAt = await call.waitForAudioOnset(performance.now() - 200);
    await playedOut(call, 'the reply');
    const reply = matches(heardSince(call, replyAt - 100), REPLY, VOICE);
    expect(reply.median).toBeGreaterThan(0.7);
    // (Only this call's events: a retried test shares the simulator with the first attempt.)
    expect(
      rt.events.filter((e) => e.type === 'input_audio_buffer.speech_started' && e.at >= callPlacedAt).length,
    ).toBe(1);

    // 3. Keypad digits reach the model as user input.
    next = (text) => ({ say: text ? 'Thank you for entering your number.' : REPLY });
    await call.sendDtmf('42#');
    const dtmf = await rt.events.waitFor(
      (e) =>
        e.direction === 'client' &&
        e.type === 'conversation.item.create' &&
        JSON.stringify(e.body).includes('keypad: 4 2 pound'),
      10_000,
      'DTMF item',
    );
    expect(dtmf).toBeDefined();
    // The model answers the digits; the caller hears that answer out before speaking again.
    const thanksAt = await call.waitForAudioOnset(dtmf.at - performance.timeOrigin);
    await playedOut(call, 'the answer to the digits');
    expect(
      matches(heardSince(call, thanksAt - 100), 'Thank you for entering your number.', VOICE).median,
    ).toBeGreaterThan(0.7);

    // 4. Barge-in: the caller talks over a long answer; the bridge clears the caller's playback
    //    after the model detected their speech, and nothing of the cut-off answer plays after it.
    //    (How fast is `npm run bench:clear`'s question, not this test's.)
    next = () => ({ say: LONG_REPLY });
    await call.sendAudio(speechPcm({ text: 'What times do you have?', sampleRate: 8000 }));
    const longAt = await call.waitForAudioOnset(performance.now() - 200);
    // Interrupt mid-answer: once the caller has heard a second of it (heard frames, not a sleep).
    await waitFor('a second of the long answer at the caller', () => heardSince(call, longAt).length >= 8000);
    const clearsBefore = call.clears.length;
    const interruptAt = Date.now();
    const interruptPerf = performance.now();
    next = () => ({ say: 'Okay.' });
    void call.sendAudio(speechPcm({ text: 'Wait, stop, Tuesday at ten please.', sampleRate: 8000 }));
    const started = await rt.events.waitFor(
      (e) => e.type === 'input_audio_buffer.speech_started' && e.at >= interruptAt,
      5000,
      'barge-in speech_started',
    );
    const clearPerf = await waitFor('a clear at the caller', () => call.clears[clearsBefore], 10_000);
    const clearEpoch = performance.timeOrigin + clearPerf;
    console.log(JSON.stringify({ barge_in_clear_ms: Math.round(clearEpoch - started.at) }));
    // The clear cut the long answer short: it came while the caller was hearing it, after they
    // began talking over it.
    expect(clearPerf).toBeGreaterThan(longAt);
    expect(clearPerf).toBeGreaterThan(interruptPerf);
    // The model answers the interruption; until that answer exists, the caller hears silence:
    // nothing of the cut-off answer leaks after the clear (one 20 ms frame of slack).
    const okay = await rt.events.waitFor(
      (e) => e.direction === 'server' && e.type === 'response.created' && e.at >= started.at,
      20_000,
      'the answer to the interruption',
    );
    const okayAt = await call.waitForAudioOnset(clearPerf);
    const afterClear = call
      .heardPcm()
      .subarray(heardIndex(call, clearPerf + 40), heardIndex(call, okay.at - performance.timeOrigin));
    expect(afterClear.length).toBeGreaterThan(0);
    expect(rmsDbfs(afterClear)).toBeLessThan(-50);
    // The next thing the caller hears is that answer, not a leftover of the cut-off one.
    expect(okayAt).toBeGreaterThan(okay.at - performance.timeOrigin);
    await playedOut(call, 'the answer to the interruption');

    // 5. end_call: the agent says goodbye, then hangs up; the bridge ends the call and the room goes.
    next = () => ({
      say: 'Goodbye, and thank you for calling.',
      callTool: { name: 'end_call', arguments: { reason: 'caller is done' } },
    });
    void call
      .sendAudio(speechPcm({ text: 'That is all, thank you.', sampleRate: 8000 }))
      .catch(() => undefined);
    const closed = await call.closed;
    expect(closed.by).toBe('server');
    const rooms = new RoomServiceClient(stack.livekit.httpUrl, stack.livekit.apiKey, stack.livekit.apiSecret);
    await waitFor(
      'the call room deleted',
      async () => (await rooms.listRooms([`call-${call.callSid}`])).length === 0,
      { intervalMs: 100 },
    );
    // The room is gone as soon as the server deletes it; the bridge logs the end right after.
    const ended = await stack.bridge.waitForLog(
      'call ended',
      (e) => e.msg === 'call ended' && e.callSid === call.callSid,
      5000,
    );
    expect(ended.outcome).toBe('agent_hung_up');
  }, 150_000);
});
