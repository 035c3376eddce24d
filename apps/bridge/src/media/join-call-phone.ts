import type { CallRooms } from '../livekit/call-rooms.js';
import type { EarlyPhones } from '../livekit/early-phone.js';
import { untilEarlyPhoneSettled } from '../livekit/early-phone-elsewhere.js';
import type { NewPhoneLine, PhoneLine, PhoneLineEvents } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';

/**
 * Caller audio allowed ahead of real time (see PhoneLineOptions), early and late joins alike, and
 * how long a capture may wait before LiveKit counts as taking no frames (a second: a capture of the
 * queueless source normally completes within a millisecond; a reconnecting room takes none).
 */
export const PHONE_BACKLOG = { maxBacklogMs: 200, maxWaitingMs: 1000 } as const;

export interface JoinCallPhone {
  callSid: string;
  room: string;
  /** The phone participant's identity and attributes (those of the answered call on this stream). */
  identity: string;
  attributes: Record<string, string>;
  events: PhoneLineEvents;
  livekitUrl: string;
  /** Hz of the PCM the phone exchanges with LiveKit (PHONE_AUDIO_SAMPLE_RATE). */
  sampleRate: number;
  rooms: Pick<CallRooms, 'phoneToken' | 'participantIdentities'>;
  newPhoneLine: NewPhoneLine;
  earlyPhones?: Pick<EarlyPhones, 'take'>;
  /** When another instance answered the call (its phone may be joining early there), if one did. */
  answeredElsewhereAt?: number;
  /** The room was deleted while the call rang (the early phone saw it go): the call ends so. */
  roomDeleted: () => void;
  log: Logger;
  /** Whether the call ended meanwhile (its teardown runs). */
  ended: () => boolean;
  /** The phone, held before it joins, so a teardown that runs meanwhile ends the join and frees what it made. */
  hold: (phone: PhoneLine) => void;
  /** The phone (adopted, if early) is about to join: it takes the caller's audio from now on. */
  ready: (phone: PhoneLine) => void;
}

/**
 * The call's phone in its room: the phone that joined while the call rang (see early-phone.ts),
 * taken over, or a join now. Resolves with the phone, or undefined when the call ended before
 * there was one (an early phone then left); rejects when the join fails.
 */
export async function joinCallPhone(j: JoinCallPhone): Promise<PhoneLine | undefined> {
  // A call that ends meanwhile drops the early phone (teardown), so this take settles then.
  const taken = await j.earlyPhones?.take(j.callSid);
  if (taken === 'room_deleted') {
    j.roomDeleted();
    return undefined;
  }
  const early = taken;
  if (!early && j.earlyPhones && j.answeredElsewhereAt !== undefined) {
    // Bridges share their settings: with early joins on here, the answering instance started one.
    const seen = await untilEarlyPhoneSettled({
      ...{ answeredAt: j.answeredElsewhereAt, identity: j.identity, ended: j.ended },
      identities: () => j.rooms.participantIdentities(j.room),
    });
    j.log.info({ seen }, "joining after the answering instance's early phone");
  }
  const token = early ? '' : await j.rooms.phoneToken(j.room, j.identity, j.attributes);
  if (j.ended()) {
    // Ended while the token was made or the early join settled: no join (teardown left the early phone).
    await early?.leave();
    return undefined;
  }
  const phone =
    early ??
    j.newPhoneLine({
      ...{ url: j.livekitUrl, token, sampleRate: j.sampleRate },
      ...PHONE_BACKLOG,
      log: j.log,
      events: j.events,
    });
  j.hold(phone);
  if (early) {
    early.adopt?.(j.events);
    j.log.info('the phone joined while the call rang: adopted');
  }
  j.ready(phone);
  // The early phone is in the room as ringing: now it is the answered call on this stream.
  await (early ? phone.setAttributes(j.attributes) : phone.join());
  return phone;
}
