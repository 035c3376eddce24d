import { AudioFrame, AudioStream, TrackKind, RoomEvent, type RemoteTrack } from '@livekit/rtc-node';
import { MarkerDetector, markerFrame, percentile, round } from '../stats/index.js';
import { connectParticipant } from './participant.js';
import type { LiveKitServer } from './server.js';

export interface LoopbackLatency {
  frames: number;
  markers: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  cpu_pct: number;
}

/**
 * One-way audio latency through a LiveKit server: a publisher sends 20 ms frames at real-time pace
 * with a tone burst every `markerEvery` frames; a subscriber in the same process detects each burst
 * and the difference of the two wall clocks is the latency (same clock, so no sync error).
 */
export async function measureLoopbackLatency(
  server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
  opts: { frames?: number; markerEvery?: number; room?: string } = {},
): Promise<LoopbackLatency> {
  const frames = opts.frames ?? 1000;
  const markerEvery = opts.markerEvery ?? 5;
  const sampleRate = 48_000;
  const frameSamples = 960;
  const roomName = opts.room ?? `latency-${Date.now()}`;
  const sender = await connectParticipant(server, roomName, 'latency-sender');
  const receiver = await connectParticipant(server, roomName, 'latency-receiver');
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const detector = new MarkerDetector(sampleRate);
  let stopped = false;
  try {
    const source = await sender.publishMicrophone({ sampleRate, queueMs: 200 });
    const track = await new Promise<RemoteTrack>((resolve) => {
      const on = (t: RemoteTrack) => {
        if (t.kind !== TrackKind.KIND_AUDIO) return;
        receiver.room.off(RoomEvent.TrackSubscribed, on);
        resolve(t);
      };
      receiver.room.on(RoomEvent.TrackSubscribed, on);
    });
    const reader = new AudioStream(track, sampleRate, 1).getReader();
    const reading = (async () => {
      while (!stopped) {
        const { value, done } = await reader.read();
        if (done || !value) break;
        for (const onset of detector.push(value.data, performance.now())) {
          // The marker this onset belongs to is the latest one sent before it (latency < period).
          const candidates = sentAt.filter((s) => s <= onset);
          const last = candidates[candidates.length - 1];
          if (last !== undefined && onset - last < markerEvery * 20) latencies.push(onset - last);
        }
      }
    })();

    const marker = markerFrame(sampleRate, frameSamples);
    const silence = new Int16Array(frameSamples);
    const cpuStart = process.cpuUsage();
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
    await new Promise((r) => setTimeout(r, 500));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpuStart);
    stopped = true;
    await reader.cancel().catch(() => undefined);
    await reading.catch(() => undefined);
    return {
      frames,
      markers: latencies.length,
      p50_ms: round(percentile(latencies, 50)),
      p95_ms: round(percentile(latencies, 95)),
      p99_ms: round(percentile(latencies, 99)),
      cpu_pct: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
    };
  } finally {
    stopped = true;
    await sender.disconnect();
    await receiver.disconnect();
  }
}
