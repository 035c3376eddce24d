import { EventEmitter } from 'node:events';
import type { voice } from '@livekit/agents';
import { RoomEvent, TrackSource, type Room } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../ops/logger.js';
import { keepCallerLinked } from './caller-relink.js';

const CALLER = 'phone-15550001';

function setup() {
  const room = Object.assign(new EventEmitter(), { remoteParticipants: new Map<string, unknown>() });
  const linked: string[] = [];
  const input = {
    current: undefined as unknown,
    // As LiveKit Agents' input: a track it already reads is ignored.
    onTrackSubscribed(track: unknown, pub: { sid: string }) {
      if (track === this.current) return false;
      this.current = track;
      linked.push(pub.sid);
      return true;
    },
  };
  const session = { _roomIO: { audioInput: input } } as unknown as voice.AgentSession;
  const mic = (sid: string, subscribed: boolean) => ({
    sid,
    source: TrackSource.SOURCE_MICROPHONE,
    subscribed,
    track: subscribed ? { sid } : undefined,
    setSubscribed: vi.fn(),
  });
  const join = (identity: string, pubs: ReturnType<typeof mic>[]) => {
    const p = { identity, sid: `PA_${identity}`, trackPublications: new Map(pubs.map((x) => [x.sid, x])) };
    room.remoteParticipants.set(identity, p);
    return p;
  };
  const stop = keepCallerLinked(room as unknown as Room, session, CALLER, createLogger('silent'));
  return { room, input, linked, mic, join, stop };
}

afterEach(() => vi.useRealTimers());

describe('keepCallerLinked', () => {
  it('hands the returning caller’s new microphone to the session input, once', () => {
    const t = setup();
    const first = t.join(CALLER, [t.mic('TR_1', true)]);
    t.room.emit(RoomEvent.ParticipantConnected, first);
    expect(t.linked).toEqual([]); // at call start LiveKit Agents links the caller itself
    t.room.emit(RoomEvent.Reconnected);
    expect(t.linked).toEqual(['TR_1']);
    t.room.emit(RoomEvent.Reconnected);
    expect(t.linked).toEqual(['TR_1']); // already on it: nothing to do
    // The room moved: the phone is back with a new track the input never heard of.
    const back = t.join(CALLER, [t.mic('TR_2', true)]);
    t.room.emit(RoomEvent.Reconnected);
    expect(t.linked).toEqual(['TR_1', 'TR_2']);
    t.room.emit(RoomEvent.ParticipantConnected, back);
    expect(t.linked).toEqual(['TR_1', 'TR_2']);
    t.stop();
  });

  it('subscribes the caller’s microphone when it is not, and links it on a later check', () => {
    vi.useFakeTimers();
    const t = setup();
    const pub = t.mic('TR_3', false);
    const p = t.join(CALLER, [pub]);
    t.room.emit(RoomEvent.ParticipantDisconnected, p); // the caller's node died…
    t.room.emit(RoomEvent.ParticipantConnected, p); // …and it came back
    expect(pub.setSubscribed).toHaveBeenCalledWith(true);
    expect(t.linked).toEqual([]);
    // The subscription lands without an event the input hears (the case after a full reconnect).
    Object.assign(pub, { subscribed: true, track: { sid: 'TR_3' } });
    vi.advanceTimersByTime(300);
    expect(t.linked).toEqual(['TR_3']);
    t.stop();
  });

  it('ignores other participants and stops cleanly', () => {
    vi.useFakeTimers();
    const t = setup();
    const other = t.join('agent-x', [t.mic('TR_9', true)]);
    t.room.emit(RoomEvent.Reconnected);
    t.room.emit(RoomEvent.ParticipantConnected, other);
    t.room.emit(RoomEvent.TrackPublished, other.trackPublications.get('TR_9'), other);
    expect(t.linked).toEqual([]);
    t.stop();
    t.join(CALLER, [t.mic('TR_4', true)]);
    t.room.emit(RoomEvent.Reconnected);
    vi.advanceTimersByTime(5_000);
    expect(t.linked).toEqual([]);
    expect(t.room.listenerCount(RoomEvent.Reconnected)).toBe(0);
  });
});
