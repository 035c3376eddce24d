import type { RemoteParticipant, RemoteTrack, Room } from 'livekit-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../lib/api';
import { LevelMeter } from '../lib/level-meter';

interface TokenAnswer {
  url: string;
  token: string;
  room: string;
  identity: string;
}

export interface Speaker {
  identity: string;
  /** RMS 0..1 of what the page hears from this participant right now. */
  level: number;
}

export type RoomMode = 'listen' | 'takeover';

/**
 * Join a call's LiveKit room from the page with a short-lived token for that room only, and play
 * every participant's audio (the caller and the agent). `listen`: hidden and subscribe-only.
 * `takeover`: also publishes the microphone; the bridge then plays only the operator to the caller
 * and the agent falls silent, until the operator leaves (hands back). LiveKit carries the audio.
 */
export function useCallRoom(sid: string) {
  const [speakers, setSpeakers] = useState<Speaker[]>([]);
  const [state, setState] = useState<'off' | 'joining' | 'on'>('off');
  const [mode, setMode] = useState<RoomMode>('listen');
  const [error, setError] = useState<unknown>(null);
  const room = useRef<Room | null>(null);
  const audio = useRef<AudioContext | null>(null);
  const meters = useRef(new Map<string, LevelMeter>());
  const sink = useRef<HTMLDivElement | null>(null);

  const stop = useCallback(async () => {
    for (const m of meters.current.values()) m.close();
    meters.current.clear();
    await room.current?.disconnect();
    room.current = null;
    await audio.current?.close().catch(() => undefined);
    audio.current = null;
    setSpeakers([]);
    setState('off');
  }, []);

  const start = useCallback(
    async (mode: RoomMode) => {
      setError(null);
      setMode(mode);
      setState('joining');
      try {
        const t = await api<TokenAnswer>('POST', `/api/operator/calls/${sid}/token`, { mode });
        // livekit-client is loaded only when someone listens: the other pages stay small.
        const { Room, RoomEvent, Track } = await import('livekit-client');
        const context = (audio.current = new AudioContext());
        const r = (room.current = new Room({
          adaptiveStream: false,
          dynacast: false,
          singlePeerConnection: false,
        }));
        r.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _pub, p: RemoteParticipant) => {
          if (track.kind !== Track.Kind.Audio) return;
          const el = track.attach();
          el.dataset.identity = p.identity;
          sink.current?.appendChild(el);
          meters.current.set(p.identity, new LevelMeter(context, track.mediaStreamTrack));
        });
        r.on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack, _pub, p: RemoteParticipant) => {
          for (const el of track.detach()) el.remove();
          meters.current.get(p.identity)?.close();
          meters.current.delete(p.identity);
        });
        r.on(RoomEvent.Disconnected, () => void stop());
        await r.connect(t.url, t.token, { autoSubscribe: true });
        await r.startAudio();
        await context.resume();
        // Allowed the 64 kbps G.711 needs, so a LiveKit server limited to G.711 carries the
        // operator's voice too (capped lower, the track would be published and carry nothing).
        if (mode === 'takeover')
          await r.localParticipant.setMicrophoneEnabled(true, undefined, {
            audioPreset: { maxBitrate: 64_000 },
          });
        setState('on');
      } catch (err) {
        setError(err);
        await stop();
      }
    },
    [sid, stop],
  );

  useEffect(() => {
    if (state !== 'on') return;
    const timer = setInterval(() => {
      setSpeakers([...meters.current].map(([identity, m]) => ({ identity, level: m.rms() })));
    }, 100);
    return () => clearInterval(timer);
  }, [state]);

  useEffect(() => () => void stop(), [stop]);
  return { state, mode, speakers, error, start, stop, sink };
}
