import { AudioFrame, dispose, RoomEvent, type AudioSource } from '@livekit/rtc-node';
import { decimate, rmsDbfs, segmentedCorrelation, speechPcm } from '@callbridge/testkit/audio-fixtures';
import {
  connectParticipant,
  recordRemoteAudio,
  startLiveKitServer,
  type ConnectedParticipant,
  type LiveKitServer,
} from '@callbridge/testkit/livekit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startTestBridge, waitFor, type TestBridge } from './_harness.js';

const CALLER = '+15551230001';
const OUR_NUMBER = '+15559870000';

let lk: LiveKitServer;
let tb: TestBridge;
let roomService: RoomServiceClient;

beforeAll(async () => {
  lk = await startLiveKitServer();
  tb = await startTestBridge(lk);
  roomService = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
});

afterAll(async () => {
  await tb?.close();
  await lk?.stop();
  await dispose();
});

/** A stand-in for the agent: joins the call's room, publishes a microphone, reports agent state. */
async function joinStandIn(callSid: string): Promise<{ agent: ConnectedParticipant; source: AudioSource }> {
  const room = `call-${callSid}`;
  await waitFor('call room', async () => (await roomService.listRooms([room])).length > 0);
  const agent = await connectParticipant(lk, room, `agent-standin-${callSid.slice(-6)}`, {
    'lk.agent.state': 'listening',
  });
  const source = await agent.publishMicrophone({ queueMs: 100 });
  return { agent, source };
}

/** Plays 48 kHz PCM in 10 ms frames in real time; `stopAtMs` cuts it off like an interruption. */
async function speak(source: AudioSource, pcm: Int16Array, stopAtMs = Infinity): Promise<number> {
  const frame = 480;
  const started = performance.now();
  for (let off = 0; off < pcm.length; off += frame) {
    if (performance.now() - started >= stopAtMs) {
      source.clearQueue();
      return performance.now();
    }
    const chunk = new Int16Array(frame);
    chunk.set(pcm.subarray(off, Math.min(pcm.length, off + frame)));
    await source.captureFrame(new AudioFrame(chunk, 48_000, 1, frame));
  }
  await source.waitForPlayout();
  return performance.now();
}

describe('bridge with a real livekit-server and the Twilio simulator', () => {
  it('puts the caller in a per-call room as a SIP-like phone participant whose speech the room hears', async () => {
    const call = await tb.placeCall({ from: CALLER });
    const { agent } = await joinStandIn(call.callSid);
    try {
      const phone = await waitFor('phone participant', () =>
        [...agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
      );
      expect(phone.identity).toBe('phone-15551230001');
      expect(phone.attributes).toMatchObject({
        'sip.phoneNumber': CALLER,
        'sip.trunkPhoneNumber': OUR_NUMBER,
        'sip.callID': call.callSid,
        'sip.callStatus': 'active',
      });
      const [room] = await roomService.listRooms([`call-${call.callSid}`]);
      expect(JSON.parse(room!.metadata)).toEqual({
        callSid: call.callSid,
        direction: 'inbound',
        from: CALLER,
        to: OUR_NUMBER,
      });

      const recording = await recordRemoteAudio(agent.room, { from: (p) => p.identity === phone.identity });
      const speech = speechPcm({
        text: 'I would like to book an appointment for Tuesday.',
        sampleRate: 8000,
      });
      // A second of line silence first, as on a real call, lets the room's jitter buffer settle.
      await call.sendAudio(new Int16Array(8000));
      await call.sendAudio(speech);
      await new Promise((r) => setTimeout(r, 500));
      recording.stop();
      const heardInRoom = decimate(recording.samples(), 6);
      const match = segmentedCorrelation(speech, heardInRoom, 2000);
      expect(match.peaks.length).toBeGreaterThan(5);
      expect(match.median).toBeGreaterThan(0.85);
      expect(match.inOrder).toBe(true);
    } finally {
      // The stand-in leaves first: the bridge deletes the room at hang-up.
      await agent.disconnect();
      await call.hangup();
    }
  });

  it("plays the agent's speech to the caller as μ-law, marks the utterance end, and cleans up on hang-up", async () => {
    const call = await tb.placeCall({ from: CALLER });
    const { agent, source } = await joinStandIn(call.callSid);
    try {
      const speech48 = speechPcm({
        text: 'Thanks for calling. Your appointment is confirmed.',
        sampleRate: 48_000,
      });
      await agent.room.localParticipant!.setAttributes({ 'lk.agent.state': 'speaking' });
      await speak(source, speech48);
      await agent.room.localParticipant!.setAttributes({ 'lk.agent.state': 'listening' });
      await waitFor('utterance mark echoed', () => call.marksEchoed.length > 0, 5000);
      const heard = call.heardPcm();
      expect(rmsDbfs(heard)).toBeGreaterThan(-45);
      const match = segmentedCorrelation(decimate(speech48, 6), heard, 2000);
      expect(match.peaks.length).toBeGreaterThan(5);
      expect(match.median).toBeGreaterThan(0.85);
      expect(match.inOrder).toBe(true);
      expect(call.violations).toEqual([]);
      expect(call.clears).toEqual([]);
    } finally {
      // The stand-in leaves first: the bridge deletes the room at hang-up.
      await agent.disconnect();
      await call.hangup();
    }
    await waitFor(
      'room deleted',
      async () => (await roomService.listRooms([`call-${call.callSid}`])).length === 0,
    );
    expect(tb.bridge.registry.active).toBe(0);
  });

  it('clears the caller playback within 100 ms of the agent being cut off mid-utterance', async () => {
    const call = await tb.placeCall({ from: CALLER });
    const { agent, source } = await joinStandIn(call.callSid);
    try {
      const speech48 = speechPcm({
        text: 'Let me read you the full list of available times for next week.',
        sampleRate: 48_000,
      });
      await agent.room.localParticipant!.setAttributes({ 'lk.agent.state': 'speaking' });
      await waitFor('audio at the caller', () => call.audioOnsets.length > 0 || undefined, 100).catch(
        () => undefined,
      );
      const stoppedAt = await speak(source, speech48, 1500);
      await agent.room.localParticipant!.setAttributes({ 'lk.agent.state': 'listening' });
      const clearAt = await waitFor('clear', () => call.clears[0], 2000);
      expect(call.audioOnsets.length).toBeGreaterThan(0);
      expect(clearAt - stoppedAt).toBeLessThan(100);
      // Nothing of the cut-off utterance plays after the clear.
      await new Promise((r) => setTimeout(r, 300));
      const heard = call.heardPcm();
      const afterClearIdx = Math.ceil(((clearAt - call.heardStartedAtMs + 40) / 1000) * 8000);
      expect(rmsDbfs(heard, afterClearIdx, heard.length)).toBeLessThan(-50);
    } finally {
      // The stand-in leaves first: the bridge deletes the room at hang-up.
      await agent.disconnect();
      await call.hangup();
    }
  });

  it('publishes caller DTMF into the room and ends the call when the agent calls the hangup RPC', async () => {
    const call = await tb.placeCall({ from: CALLER });
    const { agent } = await joinStandIn(call.callSid);
    const digits: string[] = [];
    agent.room.on(RoomEvent.DtmfReceived, (_code, digit) => digits.push(digit));
    const phone = await waitFor('phone participant', () =>
      [...agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
    );
    await call.sendDtmf('4#');
    await waitFor('dtmf in room', () => digits.length === 2, 3000);
    expect(digits).toEqual(['4', '#']);

    const reply = await agent.room.localParticipant!.performRpc({
      destinationIdentity: phone.identity,
      method: 'hangup',
      payload: JSON.stringify({ reason: 'caller said goodbye' }),
    });
    expect(JSON.parse(reply)).toEqual({ ok: true });
    const closed = await call.closed;
    expect(closed.by).toBe('server');
    await waitFor(
      'room deleted',
      async () => (await roomService.listRooms([`call-${call.callSid}`])).length === 0,
    );
    expect(
      await metricValue(tb.bridge, 'callbridge_calls_total', { outcome: 'agent_hung_up' }),
    ).toBeGreaterThan(0);
    await agent.disconnect();
  });
});
