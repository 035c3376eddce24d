import type { EventEmitter } from 'node:events';
import type { Room } from '@livekit/rtc-node';

/**
 * Lets go of a room however it ended, so rtc-node can collect it and free its native side (the
 * room, its tracks, their capture sources: one `AudioSourceCapt` thread each). When the server
 * ended the room first (the bridge deletes a call's room, or removes its participants, at hang-up)
 * rtc-node's `disconnect()` returns at once and leaves the room's listener on the process-wide FFI
 * client, which keeps the room and all it published alive for good; here it is taken off. The
 * bridge has the same helper (apps/bridge/src/livekit/release-room.ts): testkit must not be a
 * runtime dependency of the bridge, nor the bridge of testkit.
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
