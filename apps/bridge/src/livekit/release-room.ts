import type { EventEmitter } from 'node:events';
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';

/**
 * Lets go of a room however it ended, so rtc-node can free it (the JS room, its published tracks,
 * and the native objects behind them, which rtc-node frees when their JS objects are collected).
 *
 * `disconnect()` takes the room's listener off the process-wide FFI client; until that listener
 * goes, the JS room and everything it published stay reachable and are never collected. But when
 * the server ended the room first (room deleted, participant removed, connection lost for good),
 * rtc-node marks the room disconnected and `disconnect()` returns at once, leaving the listener in
 * place (rtc-node 0.13.35, room.cjs `disconnect`/`cleanupOnDisconnect`): the room was never
 * collected. So in that case the listener is taken off here. Safe to call more than once.
 *
 * Known remainder (bridge.stress.test.ts, rooms LiveKit deletes): after a server-side close the
 * native side still keeps the published track's capture thread (`AudioSourceCapt`) in most such
 * calls, with the JS room collected; sending the FFI a `disconnect` for the closed room
 * anyway did not free it either. That is inside the FFI.
 */
export async function releaseRoom(room: Room): Promise<void> {
  if (room.isConnected) {
    await room.disconnect();
    return;
  }
  const ffi = (globalThis as { _ffiClientInstance?: EventEmitter })._ffiClientInstance;
  const onFfiEvent = (room as unknown as { onFfiEvent?: (...args: unknown[]) => void }).onFfiEvent;
  if (ffi && onFfiEvent) ffi.off('ffi_event', onFfiEvent);
  room.removeAllListeners();
}

/**
 * Asks the server (`remove`) to take every remote participant out of `room` and waits, at most
 * `waitMs`, until they are gone: a native room still pointing at remote participants when we
 * disconnect is never freed.
 */
export async function removeRemoteParticipants(
  room: Room,
  remove: (identity: string) => Promise<void>,
  waitMs: number,
): Promise<void> {
  const remaining = new Set(room.remoteParticipants.keys());
  if (remaining.size === 0) return;
  let onGone: (p: RemoteParticipant) => void = () => undefined;
  const allGone = new Promise<void>((resolve) => {
    onGone = (p) => {
      remaining.delete(p.identity);
      if (remaining.size === 0) resolve();
    };
    room.on(RoomEvent.ParticipantDisconnected, onGone);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([...remaining].map((identity) => remove(identity).catch(() => undefined))).then(
        () => allGone,
      ),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
  } finally {
    clearTimeout(timer);
    room.off(RoomEvent.ParticipantDisconnected, onGone);
  }
}
