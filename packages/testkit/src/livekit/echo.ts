import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { MarkerDetector } from '../stats/index.js';
import { participantToken } from './participant.js';
import type { LiveKitServer } from './server.js';

export interface EchoParticipant {
  /** Wall-clock times at which a marker burst arrived from the room (and was echoed back at once). */
  onsets: number[];
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
  let frames = 0;
  let stopped = false;
  const detector = new MarkerDetector(rate);
  const source = new AudioSource(rate, 1, 100);
  let reading: Promise<void> | undefined;
  const onTrack = (track: RemoteTrack) => {
    if (track.kind !== TrackKind.KIND_AUDIO || reading) return;
    const reader = new AudioStream(track, { sampleRate: rate, numChannels: 1, frameSizeMs: 20 }).getReader();
    reading = (async () => {
      while (!stopped) {
        const { value, done } = await reader.read();
        if (done || !value) break;
        frames++;
        for (const at of detector.push(value.data, now())) onsets.push(at);
        source
          .captureFrame(new AudioFrame(value.data, rate, 1, value.samplesPerChannel))
          .catch(() => undefined);
      }
      await reader.cancel().catch(() => undefined);
    })().catch(() => undefined);
  };
  room.on(RoomEvent.TrackSubscribed, onTrack);
  await room.connect(server.url, await participantToken(server, roomName, identity), {
    autoSubscribe: true,
    dynacast: false,
  });
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  await room.localParticipant!.publishTrack(LocalAudioTrack.createAudioTrack('echo', source), options);
  return {
    onsets,
    frames: () => frames,
    async leave() {
      stopped = true;
      await room.disconnect().catch(() => undefined);
      await source.close().catch(() => undefined);
    },
  };
}
