/**
 * Keeps the session hearing the caller when LiveKit moves the room. When the LiveKit node carrying
 * a call dies, every participant reconnects to a surviving node, and the phone comes back as a new
 * participant with the same identity and a new microphone track. LiveKit Agents' room input
 * relinks only on a `TrackSubscribed` event for that identity; a full reconnect rebuilds the room
 * from a join, which announces nothing about tracks already there, so depending on who reconnects
 * first the agent kept listening to the dead track and the caller's next question went unheard
 * (the scale-out test's failure after its node kill).
 *
 * This watches the agent's own reconnects and the caller's comings and goings, makes sure the
 * caller's microphone is subscribed, and hands its track to the session's audio input when that
 * input is on another one (or none). The input ignores a track it already reads, so a relink that
 * was not needed does nothing.
 */
import type { voice } from '@livekit/agents';
import {
  RoomEvent,
  TrackSource,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  type Room,
} from '@livekit/rtc-node';
import type { Logger } from '../ops/logger.js';

/** The room input's audio stream, as LiveKit Agents 1.9 has it (a private field of RoomIO). */
interface AudioInputLike {
  onTrackSubscribed(
    track: RemoteTrack,
    publication: RemoteTrackPublication,
    participant: RemoteParticipant,
  ): boolean;
}

function audioInputOf(session: voice.AgentSession): AudioInputLike | undefined {
  const roomIO = (session as unknown as { _roomIO?: { audioInput?: Partial<AudioInputLike> } })._roomIO;
  const input = roomIO?.audioInput;
  return typeof input?.onTrackSubscribed === 'function' ? (input as AudioInputLike) : undefined;
}

/** How long after a reconnect or the caller's return the link is checked again (tracks arrive later). */
const RECHECK_MS = [250, 1_000, 3_000];

/** Starts watching; returns the stop. */
export function keepCallerLinked(
  room: Room,
  session: voice.AgentSession,
  callerIdentity: string,
  log: Logger,
): () => void {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  /** The caller left or the agent reconnected: only then is the link checked (not at call start). */
  let moved = false;

  const relink = (why: string): void => {
    if (stopped) return;
    const caller = room.remoteParticipants.get(callerIdentity);
    if (!caller) return;
    for (const pub of caller.trackPublications.values()) {
      if (pub.source !== TrackSource.SOURCE_MICROPHONE) continue;
      if (!pub.subscribed) {
        log.info({ why, trackSid: pub.sid }, 'caller microphone not subscribed: subscribing');
        pub.setSubscribed(true);
        continue;
      }
      const input = audioInputOf(session);
      if (pub.track && input?.onTrackSubscribed(pub.track as RemoteTrack, pub, caller)) {
        log.info({ why, trackSid: pub.sid }, 'session relinked to the caller microphone');
      }
      return;
    }
  };
  const soon = (why: string): void => {
    relink(why);
    for (const ms of RECHECK_MS) {
      const t = setTimeout(() => {
        timers.delete(t);
        relink(why);
      }, ms);
      timers.add(t);
    }
  };

  const onReconnected = () => {
    moved = true;
    log.info('LiveKit connection restored');
    soon('reconnected');
  };
  const onLeft = (p: RemoteParticipant) => {
    if (p.identity === callerIdentity) moved = true;
  };
  const onJoined = (p: RemoteParticipant) => {
    if (p.identity !== callerIdentity || !moved) return;
    log.info({ sid: p.sid }, 'caller participant back');
    soon('caller back');
  };
  const onPublished = (pub: RemoteTrackPublication, p: RemoteParticipant) => {
    if (moved && p.identity === callerIdentity && pub.source === TrackSource.SOURCE_MICROPHONE)
      soon('caller published');
  };
  room.on(RoomEvent.Reconnected, onReconnected);
  room.on(RoomEvent.ParticipantDisconnected, onLeft);
  room.on(RoomEvent.ParticipantConnected, onJoined);
  room.on(RoomEvent.TrackPublished, onPublished);
  return () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    room.off(RoomEvent.Reconnected, onReconnected);
    room.off(RoomEvent.ParticipantDisconnected, onLeft);
    room.off(RoomEvent.ParticipantConnected, onJoined);
    room.off(RoomEvent.TrackPublished, onPublished);
  };
}
