import { dispose, RoomEvent } from '@livekit/rtc-node';
import { decimate, rmsDbfs, segmentedCorrelation, speechPcm, tone } from '@callbridge/testkit/audio-fixtures';
import {
  recordRemoteAudio,
  startLiveKitServer,
  type AudioRecording,
  type LiveKitServer,
} from '@callbridge/testkit/livekit';
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, startTestBridge, waitFor, type TestBridge } from './_harness.js';
import { callPhone, joinStandIn, sayToCaller, speakUntilCut } from './_stand-in.js';

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

/** Samples (8 kHz) the caller has heard since `atMs` (performance.now). */
function heardFrom(call: SimulatedCall, atMs: number): number {
  return call.heardPcm().length - Math.max(0, Math.floor(((atMs - call.heardStartedAtMs) / 1000) * 8000));
}

/** Waits until `recording` holds `quietMs` of silence after sample `from` (48 kHz): what was said before has all arrived. */
function quietAfter(recording: AudioRecording, from: number, quietMs: number): Promise<true> {
  const window = (48_000 * quietMs) / 1000;
  return waitFor(`${quietMs} ms of silence in the room`, () => {
    const pcm = recording.samples();
    const end = pcm.length;
    return end - window >= from && rmsDbfs(pcm, end - window, end) < -50;
  });
}

describe('bridge with a real livekit-server and the Twilio simulator', () => {
  it('puts the caller in a per-call room as a SIP-like phone participant whose speech the room hears', async () => {
    const call = await tb.placeCall({ from: CALLER });
    const { agent } = await joinStandIn(lk, call.callSid);
    try {
      const phone = await waitFor('phone participant', () =>
        [...agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
      );
      expect(phone.identity).toBe('phone-15551230001');
      // It joined while the call rang; the stream's start makes it an active call.
      await waitFor('the call active', () =>
        phone.attributes['sip.callStatus'] === 'active' ? true : undefined,
      );
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
      // The speech has all reached the room once the line's silence after it has.
      await quietAfter(recording, recording.samples().length, 400);
      recording.stop();
      const heardInRoom = decimate(recording.samples(), 6);
      const match = segmentedCorrelation(speech, heardInRoom, 2000);
      expect(match.peaks.length).toBeGreaterThan(5);
      // Other speech scores ≤ 0.45 here; time-stretching by a starved jitter buffer costs a few segments.
      expect(match.median).toBeGreaterThan(0.75);
      expect(match.inOrder).toBe(true);
    } finally {
      // The stand-in leaves first: the bridge deletes the room at hang-up.
      await agent.disconnect();
      await call.hangup();
    }
  });

  it("plays the agent's speech to the caller as μ-law, marks the utterance end, and cleans up on hang-up", async () => {
    const call = await tb.placeCall({ from: CALLER });
    const standIn = await joinStandIn(lk, call.callSid);
    const { agent } = standIn;
    try {
      const { heard, match } = await sayToCaller(
        standIn,
        call,
        'Thanks for calling. Your appointment is confirmed.',
      );
      expect(rmsDbfs(heard)).toBeGreaterThan(-45);
      expect(match.peaks.length).toBeGreaterThan(5);
      // Other speech scores ≤ 0.45 here; time-stretching by a starved jitter buffer costs a few segments.
      expect(match.median).toBeGreaterThan(0.75);
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

  it('clears the caller playback when the agent is cut off mid-utterance, and nothing of it plays after', async () => {
    const call = await tb.placeCall({ from: CALLER });
    const standIn = await joinStandIn(lk, call.callSid);
    try {
      // Loud throughout, so the cut is mid-word wherever it falls.
      const answer = tone({ frequency: 440, sampleRate: 48_000, durationMs: 20_000, dbfs: -12 });
      // Once the caller has heard half a second of it (heard frames, not elapsed time) they speak
      // over it, and the agent is cut off once that speech went out: a barge-in.
      const speech = tone({ frequency: 300, sampleRate: 8000, durationMs: 1000, dbfs: -12 });
      let spoke = false;
      const stoppedAt = await speakUntilCut(
        standIn,
        answer,
        () => {
          if (call.audioOnsets.length === 0 || heardFrom(call, call.audioOnsets[0]!) < 4000) return false;
          if (!spoke) void call.sendAudio(speech);
          spoke = true;
          return call.sentOnsets.length > 0;
        },
        () => call.clears.length > 0,
      );
      const clear = await waitFor('a clear at the caller', () => call.clears[0]);
      // The clear is the answer to the cut: after it, while the answer was playing.
      expect(clear).toBeGreaterThan(stoppedAt);
      expect(clear).toBeGreaterThan(call.audioOnsets[0]!);
      console.log(JSON.stringify({ clear_after_cut_ms: Math.round(clear - stoppedAt) }));
      // Nothing of the cut-off utterance plays after the clear: 25 heard frames (500 ms) of
      // silence, with two frames of slack for the one in flight.
      await waitFor('500 ms heard after the clear', () => heardFrom(call, clear + 40) >= 4000);
      const heard = call.heardPcm();
      const afterClear = Math.ceil(((clear - call.heardStartedAtMs + 40) / 1000) * 8000);
      expect(rmsDbfs(heard, afterClear, heard.length)).toBeLessThan(-50);
      expect(call.audioOnsets.filter((t) => t > clear)).toEqual([]);
      expect(call.violations).toEqual([]);
    } finally {
      // The stand-in leaves first: the bridge deletes the room at hang-up.
      await standIn.agent.disconnect();
      await call.hangup();
    }
  });

  it('publishes caller DTMF into the room and ends the call when the agent calls the hangup RPC', async () => {
    const call = await tb.placeCall({ from: CALLER });
    const { agent } = await joinStandIn(lk, call.callSid);
    const digits: string[] = [];
    agent.room.on(RoomEvent.DtmfReceived, (_code, digit) => digits.push(digit));
    const phone = await waitFor('phone participant', () =>
      [...agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
    );
    await call.sendDtmf('4#');
    await waitFor('dtmf in room', () => digits.length === 2, 3000);
    expect(digits).toEqual(['4', '#']);

    const reply = await callPhone(
      agent,
      phone.identity,
      'hangup',
      JSON.stringify({ reason: 'caller said goodbye' }),
    );
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
