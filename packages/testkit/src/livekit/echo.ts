import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
} from '@livekit/rtc-node';
import { microphonePublishOptions } from './publish-options.js';
import { MarkerDetector } from '../stats/index.js';
import { participantToken } from './participant.js';
import { releaseRoom } from './release.js';
import type { LiveKitServer } from './server.js';

export interface EchoParticipant {
  /** Wall-clock times at which a marker burst arrived from the room (and was echoed back at once). */
  onsets: number[];
  /**
   * When each echoed burst left the echo's capture source for LiveKit (the frame's capture, plus the
   * audio queued ahead of it, plus the burst's place in the frame): where the downlink starts.
   */
  published: number[];
  /** Frames received so far. */
  frames(): number;
  leave(): Promise<void>;
}

export interface EchoOptions {
  identity?: string;
  /** The clock onsets are stamped with; epoch-based when echoes run in another process. */
  now?: () => number;
}

/**
 * A light agent stand-in for load tests: joins a call room, hears the first audio track published
 * there and sends every frame straight back on its own microphone track. It works at 16 kHz in
 * 20 ms frames so the benchmark measures the bridge and LiveKit, not this process.
 */
export async function startEcho(
  server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
  roomName: string,
  { identity = `echo-${roomName}`, now = () => performance.now() }: EchoOptions = {},
): Promise<EchoParticipant> {
  const rate = 16_000;
  const room = new Room();
  const onsets: number[] = [];
  const published: number[] = [];
  let frames = 0;
  let stopped = false;
  const detector = new MarkerDetector(rate);
  let source: AudioSource | undefined;
  let reader: ReadableStreamDefaultReader<AudioFrame> | undefined;
  const onTrack = (track: RemoteTrack) => {
    if (track.kind !== TrackKind.KIND_AUDIO || reader || stopped) return;
    const stream = new AudioStream(track, { sampleRate: rate, numChannels: 1, frameSizeMs: 20 }).getReader();
    reader = stream;
    void (async () => {
      while (!stopped) {
        const { value, done } = await stream.read();
        if (done || !value) break;
        frames++;
        const arrived = now();
        const heard = detector.push(value.data, arrived);
        onsets.push(...heard);
        // The burst goes out once the audio queued ahead of it has: frames that came in a bunch
        // (this process's event loop was late) stand in the source's queue, and that is the load
        // generator's lateness, not the bridge's downlink.
        const frameMs = (value.samplesPerChannel / rate) * 1000;
        const ahead = source?.queuedDuration ?? 0;
        for (const at of heard) published.push(now() + ahead + (at - (arrived - frameMs)));
        source
          ?.captureFrame(new AudioFrame(value.data, rate, 1, value.samplesPerChannel))
          .catch(() => undefined);
      }
      await stream.cancel().catch(() => undefined);
    })().catch(() => undefined);
  };
  /** Frees everything, at any stage: the stream, the room (also when the server closed it), the source. */
  const release = async () => {
    stopped = true;
    await reader?.cancel().catch(() => undefined);
    await releaseRoom(room).catch(() => undefined);
    await source?.close().catch(() => undefined);
  };
  room.on(RoomEvent.TrackSubscribed, onTrack);
  try {
    await room.connect(server.url, await participantToken(server, roomName, identity), {
      autoSubscribe: true,
      dynacast: false,
    });
    // Created once connected: a refused join leaves no capture source (and its thread) behind.
    source = new AudioSource(rate, 1, 100);
    const track = LocalAudioTrack.createAudioTrack('echo', source);
    await room.localParticipant!.publishTrack(track, microphonePublishOptions());
  } catch (err) {
    await release();
    throw err;
  }
  return {
    onsets,
    published,
    frames: () => frames,
    leave: release,
  };
}
