import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimate, rmsDbfs, segmentedCorrelation, speechPcm } from '../src/audio-fixtures/index.js';
import {
  connectParticipant,
  measureLoopbackLatency,
  playPcm,
  recordRemoteAudio,
  startLiveKitServer,
  type LiveKitServer,
} from '../src/livekit/index.js';

describe('real livekit-server carries audio between two rtc-node participants', () => {
  let server: LiveKitServer;
  beforeAll(async () => {
    server = await startLiveKitServer();
  });
  afterAll(async () => {
    await server?.stop();
    await dispose();
  });

  it('delivers a 48 kHz microphone track that correlates with the speech that was sent', async () => {
    const speech = speechPcm({
      text: 'Thank you for calling. How can I help you today?',
      sampleRate: 48_000,
    });
    const sender = await connectParticipant(server, 'smoke', 'sender');
    const receiver = await connectParticipant(server, 'smoke', 'receiver');
    try {
      const source = await sender.publishMicrophone();
      const recording = await recordRemoteAudio(receiver.room, { from: (p) => p.identity === 'sender' });
      // A short lead of silence lets the receiver's jitter buffer settle before the speech starts.
      await playPcm(source, new Int16Array(48_000 / 2), 48_000);
      await playPcm(source, speech, 48_000);
      await playPcm(source, new Int16Array(48_000), 48_000);
      recording.stop();

      const received = recording.samples();
      expect(received.length).toBeGreaterThan(speech.length);
      expect(rmsDbfs(received)).toBeGreaterThan(-40);
      // Opus is not sample-exact, so compare at 8 kHz where the speech energy lives.
      const ref = decimate(speech, 6);
      const got = decimate(received, 6);
      // Segment by segment: under CPU load the receiver's jitter buffer may stretch or squeeze
      // the timing a little, which one whole-signal correlation would punish.
      const match = segmentedCorrelation(ref, got, 2000);
      expect(match.peaks.length).toBeGreaterThan(5);
      // Other speech scores ≤ 0.45 here; time-stretching by a starved jitter buffer costs a few segments.
      expect(match.median).toBeGreaterThan(0.75);
      expect(match.inOrder).toBe(true);
    } finally {
      await sender.disconnect();
      await receiver.disconnect();
    }
  });

  it('times the plain hop over tracks one after another, each round on its own track', async () => {
    // 2 rounds of 80 frames, a burst every 8 (160 ms, so a slow box still pairs each burst): the
    // first 32 frames settle, then bursts at frames 32, 40, 48, 56, 64 and 72 of each round.
    const hop = await measureLoopbackLatency(server, { frames: 160, rounds: 2, markerEvery: 8 });
    expect(hop.tracks).toBe(2);
    expect(hop.frames).toBe(160);
    expect(hop.track_p50_ms).toHaveLength(2);
    // Each round's bursts found on its own track (two may fall to stalls of a busy box), none twice.
    expect(hop.markers).toBeGreaterThanOrEqual(10);
    expect(hop.markers).toBeLessThanOrEqual(12);
    // A loopback hop: Opus packets and a jitter buffer, not a burst matched with the wrong one.
    for (const p50 of hop.track_p50_ms) {
      expect(p50).not.toBeNull();
      expect(p50).toBeGreaterThan(10);
      expect(p50).toBeLessThan(160);
    }
    expect(hop.p50_ms).toBeGreaterThan(10);
  });
});
