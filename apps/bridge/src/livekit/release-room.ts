import { ConnectionState, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';

/**
 * Lets go of a room however it ended, so rtc-node can free it (the JS room, its published tracks,
 * and the native objects behind them).
 *
 * `disconnect()` is what asks the FFI to close the native room and takes the room's listener off
 * the process-wide FFI client; until that listener goes, the JS room and everything it published
 * stay reachable, so their native handles are never finalized. But when the server ended the room
 * first (room deleted, participant removed, connection lost for good), rtc-node marks the room
 * disconnected and `disconnect()` returns at once (rtc-node 0.13.35, room.cjs `disconnect`): the
 * room was never collected. So in that case the request is sent anyway.
 *
 * Known remainder (bridge.stress.test.ts, "room deleted by LiveKit"): after a server-side close the
 * native side still keeps the published track's capture thread (`AudioSourceCapt`) for about two
 * calls in three, even with the JS room collected and the FFI room closed; that is inside the FFI.
 */
export async function releaseRoom(room: Room): Promise<void> {
  const internals = room as unknown as { ffiHandle?: unknown; _connectionState: ConnectionState };
  if (!room.isConnected && internals.ffiHandle !== undefined) {
    // disconnect() only asks whether the room still counts as connected; make it so, once.
    internals._connectionState = ConnectionState.CONN_CONNECTED;
  }
  await room.disconnect();
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
