import { PHONE_CALL_STATUS } from '@callbridge/room-contract';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { CallEntry, CallOutcome, CallRegistry } from '../calls/registry.js';
import type { CallRooms } from '../livekit/call-rooms.js';
import type { EarlyPhones } from '../livekit/early-phone.js';
import type { PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { CallRecording } from '../recordings/call-recording.js';
import type { Recordings } from '../recordings/recordings.js';
import type { TwilioControl } from '../twilio/control.js';
import type { AgentWatch } from './agent-watch.js';
import type { CallAudio } from './call-audio.js';
import type { HeardTranscript } from './heard-transcript.js';
import { transferAttribute } from './transfer-attribute.js';
import type { TwilioStream } from './twilio-stream.js';

/** What an ended call session made, as it stands once the session is ended (nothing changes it after). */
export interface SessionParts {
  stream: TwilioStream;
  log: Logger;
  call?: CallEntry;
  phone?: PhoneLine;
  watch?: AgentWatch;
  audio?: CallAudio;
  heard?: HeardTranscript;
  recording?: CallRecording;
  /** How long the call was live, in ms, at the moment it is asked (0 if it never was). */
  liveMs: () => number;
}

export interface TeardownDeps {
  registry: CallRegistry;
  rooms: Pick<CallRooms, 'removeParticipant'>;
  twilio: TwilioControl;
  lifecycle: CallLifecycle;
  recordings?: Pick<Recordings, 'finish'>;
  /** Phones that joined while their call rang (see early-phone.ts). */
  earlyPhones?: Pick<EarlyPhones, 'drop'>;
}

/** Tears an ended session down: closes the socket, leaves and deletes the room, records the outcome. */
export async function tearDownSession(
  s: SessionParts,
  deps: TeardownDeps,
  outcome: CallOutcome,
  reason: string | undefined,
  closeCode: number,
): Promise<void> {
  const { registry, rooms, twilio } = deps;
  const { call, phone, audio, log } = s;
  s.watch?.stop();
  // Before the socket closes: Twilio asks what next as soon as it sees the stream end.
  if (call) registry.recordEnding(call.callSid, { outcome });
  s.stream.close(closeCode, reason);
  if (!call) return; // never attached to a call: nothing else to free
  if (outcome === 'agent_hung_up' || outcome === 'room_deleted' || outcome === 'operator_ended') {
    await twilio.complete(call.callSid).catch((err: Error) => {
      log.warn({ err: err.message }, 'could not complete the call through the Twilio API');
    });
  }
  const room = call.room;
  if (outcome === 'transferred' && call.transfer) {
    // The agent sees the transfer connect before the phone leaves (sip.callStatus → hangup).
    call.transfer.state = 'accepted';
    await phone?.setAttributes(transferAttribute(call.transfer)).catch(() => undefined);
  }
  // Still waiting for the phone that joined while the call rang: it leaves before the room goes.
  if (!phone) await deps.earlyPhones?.drop(call.callSid);
  await phone
    ?.leave({
      callStatus: PHONE_CALL_STATUS.hangup,
      removeRemote: (identity) => rooms.removeParticipant(room, identity),
    })
    .catch(() => undefined);
  audio?.close();
  s.heard?.release();
  // Linked from the record before its ending is written, so an ended call shows its recording.
  if (s.recording) await deps.recordings?.finish(call.callSid, s.recording);
  await deps.lifecycle.releaseCall(call, outcome, reason, {
    durationMs: s.liveMs(),
    framesIn: audio?.framesIn ?? 0,
    framesOut: audio?.relay.framesSent ?? 0,
  });
}

/**
 * A join that settled after the call ended: teardown left the phone (after the join settled); the
 * room is deleted again in case our join re-created it after teardown deleted it (LiveKit does).
 */
export async function leaveLateJoin(
  phone: PhoneLine,
  rooms: Pick<CallRooms, 'deleteRoom'>,
  room: string,
  log: Logger,
): Promise<void> {
  await phone.leave();
  await rooms.deleteRoom(room).catch((err: Error) => {
    log.warn({ room, err: err.message }, 'could not delete the call room');
  });
}
