import { ParticipantKind, Room } from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import type { LiveKitServer } from './server.js';

export interface TranscriptLine {
  /** Whose speech: the identity of the participant whose track was transcribed. */
  speaker: string;
  text: string;
  /** Wall clock (performance.now) when the line was complete. */
  atMs: number;
}

export interface TranscriptObserver {
  lines: TranscriptLine[];
  stop(): Promise<void>;
}

/**
 * Listens to a room's transcription text streams (`lk.transcription`, what LiveKit Agents publish
 * for both sides) as a hidden participant, and reports each finished segment.
 */
export async function observeTranscripts(
  server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
  roomName: string,
  onLine?: (line: TranscriptLine) => void,
): Promise<TranscriptObserver> {
  const at = new AccessToken(server.apiKey, server.apiSecret, {
    identity: `observer-${Date.now()}`,
    ttl: '1h',
  });
  at.addGrant({ room: roomName, roomJoin: true, hidden: true, canPublish: false, canSubscribe: false });
  const room = new Room();
  const lines: TranscriptLine[] = [];
  room.registerTextStreamHandler('lk.transcription', (reader, sender) => {
    void (async () => {
      const text = (await reader.readAll()).trim();
      const attrs = reader.info.attributes ?? {};
      const trackSid = attrs['lk.transcribed_track_id'];
      let speaker = sender.identity;
      let speakerIsAgent = false;
      for (const p of room.remoteParticipants.values()) {
        for (const pub of p.trackPublications.values()) {
          if (pub.sid !== trackSid) continue;
          speaker = p.identity;
          speakerIsAgent = p.kind === ParticipantKind.AGENT;
        }
      }
      // The agent streams each of its own segments once, growing as it speaks; the caller's side
      // comes as interim streams and then one marked final.
      if (!text || (!speakerIsAgent && attrs['lk.transcription_final'] !== 'true')) return;
      const line = { speaker, text, atMs: performance.now() };
      lines.push(line);
      onLine?.(line);
    })().catch(() => undefined);
  });
  await room.connect(server.url, await at.toJwt(), { autoSubscribe: false, dynacast: false });
  return {
    lines,
    async stop() {
      await room.disconnect();
    },
  };
}
