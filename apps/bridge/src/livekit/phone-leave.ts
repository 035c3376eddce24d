import type { AudioSource, Room } from '@livekit/rtc-node';
import { PHONE_ATTRIBUTES } from '@callbridge/room-contract';
import type { LeaveOptions } from './phone-line.js';
import { releaseRoom, removeRemoteParticipants } from './release-room.js';

/** How long leaving waits for the server to take the phone's `sip.callStatus` before it goes anyway. */
const CALL_STATUS_WAIT_MS = 500;

/**
 * The phone's room side of leaving (see PhoneParticipant.leave), once its handlers are off: ends a
 * join still in flight, says the call's status, takes the other participants out, lets go of the
 * room and closes the capture source (read after the join settled: the join may have made it).
 */
export async function leavePhoneRoom(
  room: Room,
  joinInFlight: Promise<void> | undefined,
  source: () => AudioSource | undefined,
  opts: LeaveOptions,
): Promise<void> {
  if (joinInFlight) {
    // A publish in flight ends at once on a disconnect (rtc-node aborts it), not at the SDK's timeout.
    if (room.isConnected) await room.disconnect().catch(() => undefined);
    await joinInFlight.catch(() => undefined);
  }
  if (opts.callStatus && room.isConnected) await announceCallStatus(room, opts.callStatus);
  if (opts.removeRemote && room.isConnected)
    await removeRemoteParticipants(room, opts.removeRemote, opts.removeWaitMs ?? 500);
  try {
    // Also when the server closed the room first, where disconnect() alone frees nothing.
    await releaseRoom(room);
  } finally {
    // The track's and the room's native handles are left to rtc-node, which frees them when their
    // JS objects are collected: disposing either by hand corrupted the native heap in the soak.
    await source()
      ?.close()
      .catch(() => undefined);
  }
}

/** Sets `sip.callStatus` (as LiveKit SIP does at hang-up), waiting at most a moment for the server. */
async function announceCallStatus(room: Room, status: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    room.localParticipant?.setAttributes({ [PHONE_ATTRIBUTES.callStatus]: status }).catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, CALL_STATUS_WAIT_MS))),
  ]);
  clearTimeout(timer);
}
