import { AudioFrame, AudioStream, TrackKind, RoomEvent, type RemoteTrack } from '@livekit/rtc-node';
import { MarkerDetector, markerFrame, percentile, round } from '../stats/index.js';
import { connectParticipant } from './participant.js';
import type { LiveKitServer } from './server.js';

export interface LoopbackLatency {
  frames: number;
  /** Tracks measured one after another, each with new participants, source, encoder and jitter buffer. */
  tracks: number;
  markers: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** Each track's own p50: within a track the delay hardly moves, between tracks it does. */
  track_p50_ms: number[];
  cpu_pct: number;
}

/** Tracks measured one after another unless told otherwise. */
export const LOOPBACK_ROUNDS = 8;
/** What a round costs besides its frames: joining, publishing, subscribing, the start, the tail, leaving. */
export const LOOPBACK_ROUND_SETUP_MS = 700;

export interface LoopbackLatencyOptions {
  /** 20 ms frames sent in all, shared by the rounds (default 1000). */
  frames?: number;
  /** A burst every this many frames (default 5: every 100 ms). */
  markerEvery?: number;
  /** Room name prefix (default `latency-<time>`). */
  room?: string;
  /** Rounds one after another, each a new track from new participants (default {@link LOOPBACK_ROUNDS}). */
  rounds?: number;
}

/** The frames that `rounds` rounds can send in all within `wallMs` (what a measurement beside others has). */
export function loopbackFramesWithin(wallMs: number, rounds = LOOPBACK_ROUNDS, markerEvery = 5): number {
  return Math.max(rounds * markerEvery * 6, Math.floor((wallMs - rounds * LOOPBACK_ROUND_SETUP_MS) / 20));
}

/**
 * One-way audio latency through a LiveKit server: a publisher sends 20 ms frames at real-time pace
 * with a tone burst every `markerEvery` frames; a subscriber in the same process detects each burst
 * and the difference of the two wall clocks is the latency (same clock, so no sync error).
 *
 * A track's delay is set when it starts: where its capture source's 10 ms tick, its encoder's 20 ms
 * packets and the receiver's 10 ms playout pull fall against each other, and the jitter buffer's
 * target. Every burst on one track then waits about the same (p50 and p95 within a millisecond or
 * two), and a new track draws again: single-track runs on an idle box had p50s from 36 to 52 ms (one
 * 89 ms), the tracks of one run from 24 to 59 ms. A call through the bridge draws its own, so a
 * figure over calls is a median over draws, and the hop it is compared with must be one too:
 * `rounds` rounds one after another, each a new track between new participants (tracks published
 * side by side by one participant drew alike), and the percentiles are over all their bursts.
 */
export async function measureLoopbackLatency(
  server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
  opts: LoopbackLatencyOptions = {},
): Promise<LoopbackLatency> {
  const frames = opts.frames ?? 1000;
  const markerEvery = opts.markerEvery ?? 5;
  const rounds = opts.rounds ?? LOOPBACK_ROUNDS;
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`rounds must be a positive integer (got ${rounds})`);
  const roundFrames = Math.floor(frames / rounds);
  if (roundFrames < markerEvery * 6)
    throw new Error(
      `${frames} frames in ${rounds} rounds leave no burst after the settling (at least ${markerEvery * 6 * rounds})`,
    );
  const room = opts.room ?? `latency-${Date.now()}`;
  const perTrack: number[][] = [];
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++)
    perTrack.push(await measureTrack(server, `${room}-${r}`, { frames: roundFrames, markerEvery }));
  const cpu = process.cpuUsage(cpuStart);
  const all = perTrack.flat();
  return {
    frames: roundFrames * rounds,
    tracks: rounds,
    markers: all.length,
    p50_ms: round(percentile(all, 50)),
    p95_ms: round(percentile(all, 95)),
    p99_ms: round(percentile(all, 99)),
    track_p50_ms: perTrack.map((l) => round(percentile(l, 50))),
    cpu_pct: round(((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100, 1),
  };
}

/** One round: new participants, one track; the latency of each of its bursts. */
async function measureTrack(
  server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
  roomName: string,
  { frames, markerEvery }: { frames: number; markerEvery: number },
): Promise<number[]> {
  const sampleRate = 48_000;
  const frameSamples = 960;
  const [sender, receiver] = await Promise.all([
    connectParticipant(server, roomName, 'latency-sender'),
    connectParticipant(server, roomName, 'latency-receiver'),
  ]);
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const detector = new MarkerDetector(sampleRate);
  let stopped = false;
  let reader: ReadableStreamDefaultReader<AudioFrame> | undefined;
  let reading: Promise<void> | undefined;
  try {
    const subscribed = new Promise<RemoteTrack>((resolve) => {
      const on = (t: RemoteTrack) => {
        if (t.kind !== TrackKind.KIND_AUDIO) return;
        receiver.room.off(RoomEvent.TrackSubscribed, on);
        resolve(t);
      };
      receiver.room.on(RoomEvent.TrackSubscribed, on);
    });
    const source = await sender.publishMicrophone({ sampleRate, queueMs: 200 });
    const activeReader = new AudioStream(await subscribed, sampleRate, 1).getReader();
    reader = activeReader;
    reading = (async () => {
      while (!stopped) {
        const { value, done } = await activeReader.read();
        if (done || !value) break;
        for (const onset of detector.push(value.data, performance.now())) {
          // The marker this onset belongs to is the latest one sent before it (latency < period).
          const last = latestAtOrBefore(sentAt, onset);
          if (last !== undefined && onset - last < markerEvery * 20) latencies.push(onset - last);
        }
      }
    })();

    const marker = markerFrame(sampleRate, frameSamples);
    const silence = new Int16Array(frameSamples);
    const t0 = performance.now() + 200;
    for (let k = 0; k < frames; k++) {
      const due = t0 + k * 20;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const isMarker = k % markerEvery === 0 && k >= markerEvery * 5; // let the path settle first
      // The burst goes out once the audio queued ahead of it has, as the echo participants stamp
      // theirs: frames this loop sent in a bunch after a stall stand in the queue, and that is this
      // process's lateness, not LiveKit's hop. At a steady pace nothing is queued ahead.
      if (isMarker) sentAt.push(performance.now() + source.queuedDuration);
      await source.captureFrame(new AudioFrame(isMarker ? marker : silence, sampleRate, 1, frameSamples));
    }
    await new Promise((r) => setTimeout(r, markerEvery * 20 + 50)); // the last burst's way through
    return latencies;
  } finally {
    stopped = true;
    await reader?.cancel().catch(() => undefined);
    await reading?.catch(() => undefined);
    await sender.disconnect();
    await receiver.disconnect();
  }
}

function latestAtOrBefore(sorted: number[], t: number): number | undefined {
  for (let i = sorted.length - 1; i >= 0; i--) if (sorted[i]! <= t) return sorted[i];
  return undefined;
}
