import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
} from '@livekit/rtc-node';
import { microphonePublishOptions } from './publish-options.js';
import { AccessToken } from 'livekit-server-sdk';
import { releaseRoom } from './release.js';
import type { LiveKitServer } from './server.js';

export interface ConnectedParticipant {
  room: Room;
  identity: string;
  /** Publishes a microphone-source track and returns its source (LiveKit Agents only listen to microphones). */
  publishMicrophone(opts?: {
    sampleRate?: number;
    channels?: number;
    queueMs?: number;
  }): Promise<AudioSource>;
  disconnect(): Promise<void>;
}

export async function participantToken(
  server: Pick<LiveKitServer, 'apiKey' | 'apiSecret'>,
  roomName: string,
  identity: string,
  attributes?: Record<string, string>,
  /** `agent` joins as LiveKit Agents' workers do (ParticipantKind AGENT); default a standard participant. */
  kind?: 'agent',
): Promise<string> {
  const at = new AccessToken(server.apiKey, server.apiSecret, { identity, ttl: '10m', attributes });
  if (kind) at.kind = kind;
  at.addGrant({
    room: roomName,
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  });
  return at.toJwt();
}

/** Joins a room on a (test) LiveKit server as a plain rtc-node participant. */
export async function connectParticipant(
  server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
  roomName: string,
  identity: string,
  attributes?: Record<string, string>,
  kind?: 'agent',
): Promise<ConnectedParticipant> {
  const room = new Room();
  await room.connect(server.url, await participantToken(server, roomName, identity, attributes, kind), {
    autoSubscribe: true,
    dynacast: false,
  });
  const sources: AudioSource[] = [];
  return {
    room,
    identity,
    async publishMicrophone({ sampleRate = 48_000, channels = 1, queueMs = 100 } = {}) {
      const source = new AudioSource(sampleRate, channels, queueMs);
      sources.push(source);
      const track = LocalAudioTrack.createAudioTrack('microphone', source);
      await room.localParticipant!.publishTrack(track, microphonePublishOptions());
      return source;
    },
    /** Leaves (also after the server closed the room) and closes the sources it published. */
    async disconnect() {
      try {
        await releaseRoom(room);
      } finally {
        await Promise.all(sources.map((source) => source.close().catch(() => undefined)));
      }
    },
  };
}

/** Sends PCM into a source in 10 ms frames, the way a microphone would, at real-time pace. */
export async function playPcm(source: AudioSource, pcm: Int16Array, sampleRate: number): Promise<void> {
  const perFrame = sampleRate / 100;
  for (let off = 0; off < pcm.length; off += perFrame) {
    const chunk = new Int16Array(perFrame);
    chunk.set(pcm.subarray(off, Math.min(pcm.length, off + perFrame)));
    // captureFrame resolves once the frame is queued; the source's small queue provides the pacing.
    await source.captureFrame(new AudioFrame(chunk, sampleRate, 1, perFrame));
  }
}

export interface AudioRecording {
  /** Mono PCM received so far. */
  samples(): Int16Array;
  /** Wall-clock (performance.now) arrival time of each received frame and its first sample index. */
  frames: { atMs: number; index: number; length: number }[];
  stop(): void;
}

/**
 * Records the first audio track a matching remote participant publishes, as mono PCM at `sampleRate`.
 * Resolves once the track is subscribed.
 */
export function recordRemoteAudio(
  room: Room,
  opts: { sampleRate?: number; from?: (p: RemoteParticipant) => boolean } = {},
): Promise<AudioRecording> {
  const sampleRate = opts.sampleRate ?? 48_000;
  return new Promise((resolve) => {
    const chunks: Int16Array[] = [];
    let total = 0;
    const frames: AudioRecording['frames'] = [];
    let stopped = false;
    const start = (track: RemoteTrack) => {
      const stream = new AudioStream(track, sampleRate, 1);
      const reader = stream.getReader();
      void (async () => {
        while (!stopped) {
          const { value, done } = await reader.read();
          if (done || !value) break;
          frames.push({ atMs: performance.now(), index: total, length: value.data.length });
          chunks.push(value.data.slice());
          total += value.data.length;
        }
        reader.releaseLock();
      })();
      resolve({
        frames,
        samples() {
          const out = new Int16Array(total);
          let off = 0;
          for (const c of chunks) {
            out.set(c, off);
            off += c.length;
          }
          return out;
        },
        stop() {
          stopped = true;
          void stream.cancel().catch(() => undefined);
        },
      });
    };
    for (const p of room.remoteParticipants.values()) {
      if (opts.from && !opts.from(p)) continue;
      for (const pub of p.trackPublications.values()) {
        if (pub.track && pub.kind === TrackKind.KIND_AUDIO) return start(pub.track);
      }
    }
    const onTrack = (track: RemoteTrack, _pub: unknown, participant: RemoteParticipant) => {
      if (track.kind !== TrackKind.KIND_AUDIO) return;
      if (opts.from && !opts.from(participant)) return;
      room.off(RoomEvent.TrackSubscribed, onTrack);
      start(track);
    };
    room.on(RoomEvent.TrackSubscribed, onTrack);
  });
}
