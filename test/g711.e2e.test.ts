// The whole stack in G.711 rooms (livekit-server limited to PCMU, as a phone-only deployment may
// configure it): the real agent worker (LiveKit Agents with the OpenAI plugin, against the Realtime
// simulator) publishes its voice as PCMU too, so the caller hears the greeting and the model hears
// the caller with no Opus anywhere. A publisher capped under G.711's 64 kbps would be published and
// silently carry nothing. The model's input is checked by content: this test found the bridge
// dropping the caller's words after a burst (the caller's speech synthesized here stalls this
// process, which runs the simulated line, and its frames then arrive at once).
import { dispose } from '@livekit/rtc-node';
import { decimate, segmentedCorrelation, speechPcm } from '@callbridge/testkit/audio-fixtures';
import { waitFor } from '@callbridge/testkit/wait';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../scripts/lib/stack.js';
import { heardSince, matches, playedOut } from './_caller.js';

const GREETING = 'Hello, thanks for calling. How can I help?';
const CALLER = 'I would like to book an appointment please.';
const REPLY = 'Of course, what day would suit you?';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    livekit: { audioCodecs: ['audio/pcmu'] },
    // As a G.711 deployment sets it (.env.example): no rate converted between Twilio and the agent.
    bridgeEnv: { PHONE_AUDIO_SAMPLE_RATE: '8000' },
    script: { greeting: { say: GREETING }, reply: () => ({ say: REPLY }) },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await dispose();
});

describe('G.711 rooms end to end', () => {
  it('the caller hears the agent and the model hears the caller, both tracks PCMU', async () => {
    const rt = stack.realtime!;
    const sessionsBefore = rt.sessions.length;
    const call = await stack.placeCall();
    const greetingAt = await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    await playedOut(call, 'the greeting');
    const greeting = matches(heardSince(call, greetingAt - 100), GREETING);

    // The caller speaks; the agent's answer shows the model heard a whole turn, and by then all of
    // the caller's words are in the model's input.
    const speech = speechPcm({ text: CALLER, sampleRate: 8000 });
    const spokeAt = performance.now();
    await call.sendAudio(speech);
    const replyAt = await call.waitForAudioOnset(spokeAt, 30_000);
    await playedOut(call, 'the reply');
    const reply = matches(heardSince(call, replyAt - 100), REPLY);
    const session = await waitFor('the call’s model session', () => rt.sessions[sessionsBefore]);
    const heardByModel = segmentedCorrelation(speech, decimate(session.inputAudio(), 3), 2400);

    // None of the caller's audio was dropped on the way (a burst after a stall included).
    const metricsText = await (await fetch(`${stack.bridgeUrl}/metrics`)).text();
    const dropped = Number(/^callbridge_uplink_dropped_frames_total (\d+)/m.exec(metricsText)?.[1]);
    const { livekit } = stack;
    const rooms = new RoomServiceClient(livekit.httpUrl, livekit.apiKey, livekit.apiSecret);
    const tracks = (await rooms.listParticipants(`call-${call.callSid}`)).flatMap((p) =>
      p.tracks.map((t) => `${p.identity.split('-')[0]} ${t.mimeType.toLowerCase()}`),
    );
    console.log(
      JSON.stringify({
        g711_e2e: {
          tracks,
          greeting: greeting.median,
          caller: heardByModel.median,
          reply: reply.median,
          dropped,
        },
      }),
    );
    expect(tracks).toEqual(expect.arrayContaining(['phone audio/pcmu', 'agent audio/pcmu']));
    expect(greeting.median).toBeGreaterThan(0.7);
    expect(reply.median).toBeGreaterThan(0.7);
    expect(heardByModel.median).toBeGreaterThan(0.7);
    expect(heardByModel.inOrder).toBe(true);
    expect(dropped).toBe(0);
    await call.hangup();
  });
});
