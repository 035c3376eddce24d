// A phone-only deployment whose LiveKit server allows G.711 alone (`room.enabled_codecs: audio/pcmu`):
// the call's audio stays G.711 from Twilio to the agent and back, with no Opus encode or decode on
// the way. The bridge publishes the phone's track allowed the 64 kbps G.711 needs (a track capped
// lower, LiveKit's default 48 kbps, is published but silently carries nothing); real speech then
// gets through both ways as well as over Opus, and the tracks are PCMU at the far end. The bridge is
// set up as such a deployment is (.env.example): the phone exchanges 8 kHz with LiveKit, so no rate
// is converted on the way.
import { describe, expect, it } from 'vitest';
import { agentToCaller, callerToAgent, withStandIn } from './_call-audio.js';
import { bridgeOnLiveKit } from './_harness.js';

const ctx = bridgeOnLiveKit({ PHONE_AUDIO_SAMPLE_RATE: '8000' }, { audioCodecs: ['audio/pcmu'] });

describe('a LiveKit server limited to G.711', () => {
  it('carries the call as PCMU both ways, speech intact', async () => {
    const { tb, lk } = ctx;
    const call = await tb.placeCall();
    const live = await withStandIn(lk, call);

    const up = await callerToAgent(live, 'I would like to book an appointment for Tuesday.');
    const down = await agentToCaller(live, 'Thanks for calling. Your appointment is confirmed.');
    // The codec of each published track, as LiveKit negotiated it: the phone's and the agent's.
    const tracks = (await ctx.rooms.listParticipants(live.room)).flatMap((p) =>
      p.tracks.map((t) => ({ who: p.identity.replace(/-.*/, ''), mime: t.mimeType.toLowerCase() })),
    );
    console.log(JSON.stringify({ g711_room: { tracks, up: up.median, down: down.median } }));
    expect(tracks).toEqual(
      expect.arrayContaining([
        { who: 'phone', mime: 'audio/pcmu' },
        { who: 'agent', mime: 'audio/pcmu' },
      ]),
    );
    for (const m of [up, down]) {
      expect(m.peaks.length).toBeGreaterThan(5);
      // The same bar as over Opus (bridge.integration, livekit-multinode); other speech scores ≤ 0.45.
      expect(m.median).toBeGreaterThan(0.75);
      expect(m.inOrder).toBe(true);
    }
    await call.hangup();
  }, 90_000);
});
