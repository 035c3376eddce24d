import { AudioFrame, AudioStream, TrackKind, RoomEvent, type RemoteTrack } from '@livekit/rtc-node';
import { MarkerDetector, markerFrame, percentile, round } from '../stats/index.js';
import { connectParticipant, type ConnectedParticipant } from './participant.js';
import type { LiveKitServer } from './server.js';

export interface LoopbackLatency {
  frames: number;
  /** Tracks measured one after another, each with new participants, source, encoder and jitter buffer. */
  tracks: number;
  markers: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** Each track's own p50 (null: none of its bursts arrived): within a track it hardly moves. */
  track_p50_ms: (number | null)[];
  /** CPU of this process over the whole measurement, joins and leaves included. */
  cpu_pct: number;
}

/** Tracks measured one after another unless told otherwise. */
export const LOOPBACK_ROUNDS = 8;
/** A burst every this many frames unless told otherwise: 200 ms, so a burst pairs with its own. */
export const LOOPBACK_MARKER_EVERY = 10;
/** What a round costs besides its frames: joining, publishing, subscribing, the start, the tail, leaving. */
export const LOOPBACK_ROUND_SETUP_MS = 700;
/** Frames a new track sends before its first burst, while its jitter buffer settles (500 ms). */
const SETTLE_FRAMES = 25;
/** How long a round waits for the receiver to subscribe before it gives up. */
const SUBSCRIBE_TIMEOUT_MS = 15_000;

export interface LoopbackLatencyOptions {
  /** 20 ms frames sent in all, shared by the rounds (default 1000). */
  frames?: number;
  /**
   * A burst every this many frames (default {@link LOOPBACK_MARKER_EVERY}). A burst is paired with
   * the latest one sent before it, so a hop slower than this period would read as a fast one.
   */
  markerEvery?: number;
  /** Room name prefix (default `latency-<time>`). */
  room?: string;
  /** Rounds one after another, each a new track from new participants (default {@link LOOPBACK_ROUNDS}). */
  rounds?: number;
}

/** The first frame of a round that carries a burst. */
function firstBurstFrame(markerEvery: number): number {
  return Math.ceil(SETTLE_FRAMES / markerEvery) * markerEvery;
}

/**
 * The frames that `rounds` rounds can send in all within `wallMs` (a measurement beside others that
 * must end with them), but never fewer than one burst a round.
 */
export function loopbackFramesWithin(
  wallMs: number,
  rounds = LOOPBACK_ROUNDS,
  markerEvery = LOOPBACK_MARKER_EVERY,
): number {
  const least = rounds * (firstBurstFrame(markerEvery) + 1);
  return Math.max(least, Math.floor((wallMs - rounds * LOOPBACK_ROUND_SETUP_MS) / 20));
}

/**
 * One-way audio latency through a LiveKit server: a publisher sends 20 ms frames at real-time pace
 * with a tone burst every `markerEvery` frames; a subscriber in the same process detects each burst
 * and the difference of the two wall clocks is the latency (same clock, so no sync error).
 *
 * A track's delay is set when it starts (where its capture source's 10 ms tick, its encoder's 20 ms
 * packets and the receiver's 10 ms playout pull fall against each other, and the jitter buffer's
 * target) and then hardly moves, so one track is one draw. A call through the bridge draws its own,
 * and a figure over calls is a median over draws; the hop it is compared with must be one too:
 * `rounds` rounds one after another, each a new track between new participants (tracks published
 * side by side by one participant drew alike), the percentiles over all their bursts
 * (docs/performance.md, "The plain hop is a median over tracks").
 */
export async function measureLoopbackLatency(
  server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
  opts: LoopbackLatencyOptions = {},
): Promise<LoopbackLatency> {
  const frames = opts.frames ?? 1000;
  const markerEvery = opts.markerEvery ?? LOOPBACK_MARKER_EVERY;
  const rounds = opts.rounds ?? LOOPBACK_ROUNDS;
  for (const [name, value] of [
    ['frames', frames],
    ['markerEvery', markerEvery],
    ['rounds', rounds],
  ] as const)
    if (!Number.isSafeInteger(value) || value < 1)
      throw new Error(`${name} must be a positive integer (got ${value})`);
  const roundFrames = Math.floor(frames / rounds);
  const least = firstBurstFrame(markerEvery) + 1;
  if (roundFrames < least)
    throw new Error(
      `${frames} frames in ${rounds} rounds leave no burst after the settling (at least ${least * rounds})`,
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
    track_p50_ms: perTrack.map((l) => (l.length > 0 ? round(percentile(l, 50)) : null)),
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
  const joined = await Promise.allSettled([
    connectParticipant(server, roomName, 'latency-sender'),
    connectParticipant(server, roomName, 'latency-receiver'),
  ]);
  const participants = joined.flatMap((j) => (j.status === 'fulfilled' ? [j.value] : []));
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const detector = new MarkerDetector(sampleRate);
  let stopped = false;
  let reader: ReadableStreamDefaultReader<AudioFrame> | undefined;
  let reading: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const failed = joined.find((j) => j.status === 'rejected');
    if (failed) throw failed.reason;
    const [sender, receiver] = participants as [ConnectedParticipant, ConnectedParticipant];
    const subscribed = new Promise<RemoteTrack>((resolve, reject) => {
      const on = (t: RemoteTrack) => {
        if (t.kind !== TrackKind.KIND_AUDIO) return;
        receiver.room.off(RoomEvent.TrackSubscribed, on);
        resolve(t);
      };
      receiver.room.on(RoomEvent.TrackSubscribed, on);
      timer = setTimeout(
        () =>
          reject(
            new Error(`the loopback receiver got no track in ${SUBSCRIBE_TIMEOUT_MS} ms (room ${roomName})`),
          ),
        SUBSCRIBE_TIMEOUT_MS,
      );
    });
    // Awaited below; until then a timeout must not surface as an unhandled rejection.
    subscribed.catch(() => undefined);
    const source = await sender.publishMicrophone({ sampleRate, queueMs: 200 });
    const trackReader = new AudioStream(await subscribed, sampleRate, 1).getReader();
    reader = trackReader; // cancelled in finally
    reading = (async () => {
      while (!stopped) {
        const { value, done } = await trackReader.read();
        if (done || !value) break;
        for (const onset of detector.push(value.data, performance.now())) {
          // The burst this onset belongs to is the latest one sent before it (latency < period).
          const last = latestAtOrBefore(sentAt, onset);
          if (last !== undefined && onset - last < markerEvery * 20) latencies.push(onset - last);
        }
      }
    })();

    const marker = markerFrame(sampleRate, frameSamples);
    const silence = new Int16Array(frameSamples);
    const firstBurst = firstBurstFrame(markerEvery);
    const t0 = performance.now() + 200;
    for (let k = 0; k < frames; k++) {
      const due = t0 + k * 20;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const isMarker = k >= firstBurst && k % markerEvery === 0;
      // The burst goes out once the audio queued ahead of it has, as the echo participants stamp
      // theirs: frames this loop sent in a bunch after a stall stand in the queue, and that is this
      // process's lateness, not LiveKit's hop. At a steady pace nothing is queued ahead.
      if (isMarker) sentAt.push(performance.now() + source.queuedDuration);
      await source.captureFrame(new AudioFrame(isMarker ? marker : silence, sampleRate, 1, frameSamples));
    }
    await new Promise((r) => setTimeout(r, markerEvery * 20 + 50)); // the last burst's way through
    return latencies;
  } finally {
    clearTimeout(timer);
    stopped = true;
    await reader?.cancel().catch(() => undefined);
    await reading?.catch(() => undefined);
    await Promise.allSettled(participants.map((p) => p.disconnect()));
  }
}

/** The latest of the times (in the order they were sent) at or before `t`. */
function latestAtOrBefore(times: number[], t: number): number | undefined {
  for (let i = times.length - 1; i >= 0; i--) if (times[i]! <= t) return times[i];
  return undefined;
}
