// The phone joins the call's room at the webhook, while the caller still hears ringing
// (PHONE_JOIN_WHILE_RINGING): an agent sees it as `sip.callStatus` `ringing` before the stream
// starts, and `active` once it has. The agent's audio is subscribed only once the stream is up, so
// an agent that speaks as soon as someone subscribes (as LiveKit Agents do with their greeting)
// is heard by the caller from its first word, and nothing is said into a line nobody hears yet.
import { randomBytes } from 'node:crypto';
import { decimate, segmentedCorrelation, speechPcm } from '@callbridge/testkit/audio-fixtures';
import { postStatusCallback, type SimulatedCall } from '@callbridge/testkit/twilio';
import { RoomEvent } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { AUTH_TOKEN, bridgeOnLiveKit, waitFor } from './_harness.js';
import { joinStandIn, speak, type StandIn } from './_stand-in.js';

const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;
// A gap between the webhook's answer and the stream, as Twilio has on a real call.
const STREAM_GAP_MS = 1500;
const env = bridgeOnLiveKit({ ANSWER_WAIT_FOR_AGENT_S: '10' });
// Synthesized before anything is timed: espeak-ng runs synchronously and stalls this process, which
// also runs the bridge, right where the greeting's first word is measured.
const greeting48 = speechPcm({ text: 'Hello, thanks for calling. How can I help?', sampleRate: 48_000 });

/** Every `sip.callStatus` the agent saw on the phone, with the moment (performance.now) it saw it. */
function watchCallStatus(standIn: StandIn) {
  const seen: { status: string; atMs: number }[] = [];
  const note = (status: string | undefined) => {
    if (status && status !== seen.at(-1)?.status) seen.push({ status, atMs: performance.now() });
  };
  standIn.agent.room.on(RoomEvent.ParticipantAttributesChanged, (_changed, p) => {
    if (p.identity.startsWith('phone-')) note(p.attributes['sip.callStatus']);
  });
  return { seen, note };
}

describe('the phone joins while the call rings', () => {
  it('is in the room as ringing before the stream, hears the agent only once the stream is up, and the caller hears the first word', async () => {
    const callSid = newCallSid();
    let call: SimulatedCall | undefined;
    const placing = env.tb.placeCall({ callSid, streamGapMs: STREAM_GAP_MS }).then((c) => (call = c));
    // The agent is in the room before the phone (dispatch comes first), its session up.
    const standIn = await joinStandIn(env.lk, callSid, { kind: 'agent' });
    try {
      const status = watchCallStatus(standIn);
      const phone = await waitFor('the phone in the room', () =>
        [...standIn.agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
      );
      status.note(phone.attributes['sip.callStatus']);
      // Like LiveKit Agents: the first words go out once someone subscribes to the agent's track.
      const publication = [...standIn.agent.room.localParticipant!.trackPublications.values()][0]!;
      let subscribedAtMs = 0;
      const subscribed = publication.waitForSubscription().then(() => (subscribedAtMs = performance.now()));

      await placing;
      const streamAtMs = call!.streamStartedAtMs;
      expect(status.seen[0]).toMatchObject({ status: 'ringing' });
      expect(status.seen[0]!.atMs).toBeLessThan(streamAtMs);
      await subscribed;
      expect(subscribedAtMs).toBeGreaterThanOrEqual(streamAtMs);
      await waitFor('the phone active', () => (status.seen.at(-1)?.status === 'active' ? true : undefined));
      expect(phone.attributes['callbridge.streamSid']).toBe(call!.streamSids[0]);

      await standIn.setState('speaking');
      await speak(standIn.source, greeting48);
      await standIn.setState('listening');
      const heardAtMs = await call!.waitForAudioOnset(streamAtMs);
      await waitFor('the greeting played out', () =>
        call!.heardPcm().length >= ((heardAtMs - call!.heardStartedAtMs) / 1000 + 3.5) * 8000
          ? true
          : undefined,
      );
      // Every part of the greeting reached the caller, its first words included, in order. The first
      // 200 ms scores 0.82-0.93 on a quiet machine and down to 0.69 in a loaded CI run (the jitter
      // buffer stretches a stream's first packets); a first word cut off scores as unrelated speech
      // does (≤ 0.45).
      const match = segmentedCorrelation(decimate(greeting48, 6), call!.heardPcm(), 1600);
      expect(match.peaks[0]).toBeGreaterThan(0.6);
      expect(match.median).toBeGreaterThan(0.75);
      expect(match.inOrder).toBe(true);
      console.log(
        JSON.stringify({
          early_phone_ringing_before_stream_ms: Math.round(streamAtMs - status.seen[0]!.atMs),
          early_phone_subscribed_after_stream_ms: Math.round(subscribedAtMs - streamAtMs),
        }),
      );
    } finally {
      await standIn.agent.disconnect();
      await call?.hangup();
    }
  });

  it('leaves when the caller hangs up before the stream opens: the call ends, the room goes', async () => {
    const callSid = newCallSid();
    // The caller hangs up in the gap before Twilio opens the stream (its stream is then refused).
    const placing = env.tb.placeCall({ callSid, streamGapMs: 3000 });
    const standIn = await joinStandIn(env.lk, callSid, { kind: 'agent' });
    try {
      await waitFor('the phone in the room', () =>
        [...standIn.agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
      );
      // Twilio posts a final status when the caller hangs up.
      const status = await postStatusCallback({
        url: `${env.tb.publicUrl}/twilio/status`,
        authToken: AUTH_TOKEN,
        call: { accountSid: env.tb.sim.accountSid, callSid, from: '+15551230001', to: '+15559870000' },
        status: 'completed',
      });
      expect(status.ok && status.status).toBe(204);
      const store = await env.tb.bridge.store;
      await waitFor('record ended', async () => (await store.get(callSid))?.outcome != null);
      // The phone leaves, then the room is deleted (which may reach the agent first on a slow run).
      await waitFor('the phone gone', () =>
        !standIn.agent.room.isConnected ||
        [...standIn.agent.room.remoteParticipants.values()].every((p) => !p.identity.startsWith('phone-'))
          ? true
          : undefined,
      );
      await waitFor(
        'room deleted',
        async () => (await env.rooms.listRooms([`call-${callSid}`])).length === 0,
      );
      expect(env.tb.bridge.registry.get(callSid)).toBeUndefined();
      // The stream Twilio opens after the gap finds the call over and is closed by the bridge.
      const call = await placing;
      expect((await call.closed).by).toBe('server');
    } finally {
      await standIn.agent.disconnect();
    }
  });
});
