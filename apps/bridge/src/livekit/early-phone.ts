/**
 * The phone joins the call's room at the webhook, while the caller still hears ringing, instead of
 * at the stream's `start`: connecting and publishing take a few hundred milliseconds that were the
 * greeting's critical path. The early line does not subscribe to the agents' audio until the call's
 * session adopts it at `start` (LiveKit Agents hold their first words until someone subscribes), so
 * nothing is said before the caller can hear it. A line that is never adopted (the caller hung up
 * while it rang, the stream went to another bridge instance) leaves before its room is deleted.
 */
import {
  PHONE_ATTRIBUTES,
  phoneAttributes,
  phoneIdentityFor,
  remotePartyOf,
  type CallDirection,
} from '@callbridge/room-contract';
import type { Logger } from '../logger.js';
import type { CallRooms } from './call-rooms.js';
import type { NewPhoneLine, PhoneLine, PhoneLineEvents, PhoneLineOptions } from './phone-line.js';

/** How long a room deleted under a ringing call is remembered for its stream (Twilio opens it in seconds). */
const LOST_KEPT_MS = 60_000;

/**
 * How long a line whose call went to another bridge instance waits to be replaced by that
 * instance's phone (it joins under the same identity as soon as the stream starts there).
 */
export const HANDOVER_MS = 10_000;

/** `sip.callStatus` while the phone is in the room before the call is answered, as on LiveKit SIP. */
export const RINGING_CALL_STATUS = 'ringing';

export interface EarlyCall {
  callSid: string;
  room: string;
  direction: CallDirection;
  from: string;
  to: string;
  answeredBy?: string;
}

interface EarlyLine {
  phone?: PhoneLine;
  /** Settles true once the line joined, false if it could not (or left first). */
  joined: Promise<boolean>;
  /** The room went away under the line before a session adopted it. */
  lost?: 'room_deleted' | 'disconnected';
  /** Its join completed: the agent may have seen it. */
  inRoom?: boolean;
}

/**
 * What the stream's session gets: the early line to adopt; `room_deleted` when the room was deleted
 * while the call rang (the call ends as it would with the phone in it); or undefined: join now.
 */
export type EarlyTake = PhoneLine | 'room_deleted' | undefined;

export class EarlyPhones {
  readonly #lines = new Map<string, EarlyLine>();
  /** Lines whose room was deleted while the call rang, kept (briefly) for the stream's session to see. */
  readonly #lost = new Map<string, EarlyLine>();

  constructor(
    private readonly deps: {
      rooms: Pick<CallRooms, 'phoneToken'>;
      newPhoneLine: NewPhoneLine;
      line: Omit<PhoneLineOptions, 'token' | 'events' | 'log' | 'deferAgentAudio'>;
      /** Whether the call's session will want transcripts and tool calls (there is a recorder). */
      readsText: boolean;
      log: Logger;
    },
  ) {}

  /** Starts the phone's join for a call just answered; never throws (the stream's start joins then). */
  start(call: EarlyCall): void {
    if (this.#lines.has(call.callSid)) return;
    const log = this.deps.log.child({ callSid: call.callSid });
    const line: EarlyLine = { joined: Promise.resolve(false) };
    line.joined = this.#join(call, line, log).catch((err: Error) => {
      log.warn({ err: err.message }, 'the phone could not join early; it joins at the stream start');
      return false;
    });
    this.#lines.set(call.callSid, line);
  }

  /**
   * The call's stream started here: the early line once its join settles, handed over (it must be
   * adopted), or undefined when there is none or it did not join.
   */
  async take(callSid: string): Promise<EarlyTake> {
    if (this.#lost.delete(callSid)) return 'room_deleted';
    const line = this.#lines.get(callSid);
    if (!line) return undefined;
    // Still ours while its join settles: a call that ends meanwhile drops it (which cuts the join short).
    const joined = await line.joined;
    if (this.#lines.get(callSid) !== line) return line.lost === 'room_deleted' ? 'room_deleted' : undefined;
    this.#lines.delete(callSid);
    if (joined && !line.lost) return line.phone;
    await line.phone?.leave().catch(() => undefined);
    return line.lost === 'room_deleted' ? 'room_deleted' : undefined;
  }

  /**
   * The call ended (or went to another instance) before a session took its line, or while it was
   * taking it: the line leaves (a join in flight is cut short; one still waiting for its token never starts).
   */
  async drop(callSid: string): Promise<void> {
    this.#lost.delete(callSid);
    const line = this.#lines.get(callSid);
    if (!line) return;
    this.#lines.delete(callSid);
    await line.phone?.leave().catch(() => undefined);
  }

  /**
   * The call's stream started on another bridge instance: its phone joins under the same identity
   * and replaces this line (LiveKit disconnects it, DUPLICATE_IDENTITY), which the agent sees as
   * the same caller. Leaving first would read as the caller hanging up (LiveKit Agents end their
   * session when the caller leaves, CLIENT_INITIATED). A line not replaced in `withinMs` leaves.
   * A line still joining finishes its join and then waits the same way: the other instance joins
   * once it sees this line in the room (early-phone-elsewhere.ts), so the two joins never race.
   */
  handOver(callSid: string, withinMs = HANDOVER_MS): void {
    const line = this.#lines.get(callSid);
    if (!line) return;
    if (!line.inRoom) {
      void line.joined.then((joined) => {
        if (joined && this.#lines.get(callSid) === line) this.handOver(callSid, withinMs);
      });
      return;
    }
    setTimeout(() => {
      if (this.#lines.get(callSid) === line) void this.drop(callSid);
    }, withinMs).unref();
  }

  /** Lines joined or joining and not taken yet. */
  get size(): number {
    return this.#lines.size;
  }

  async #join(call: EarlyCall, line: EarlyLine, log: Logger): Promise<boolean> {
    const { rooms, newPhoneLine } = this.deps;
    const identity = phoneIdentityFor(remotePartyOf(call), call.callSid);
    const attributes: Record<string, string> = {
      ...phoneAttributes({ ...call, streamSid: '' }),
      [PHONE_ATTRIBUTES.callStatus]: RINGING_CALL_STATUS,
    };
    delete attributes[PHONE_ATTRIBUTES.streamSid];
    const token = await rooms.phoneToken(call.room, identity, attributes);
    if (this.#lines.get(call.callSid) !== line) return false; // dropped while the token was made
    const phone = (line.phone = newPhoneLine({
      ...this.deps.line,
      token,
      deferAgentAudio: true,
      log,
      events: this.#untilAdopted(call.callSid, line, log),
    }));
    await phone.join();
    line.inRoom = true;
    return true;
  }

  /** Until a session adopts the line, the room's news has no one to go to; losing the room ends the line. */
  #untilAdopted(callSid: string, line: EarlyLine, log: Logger): PhoneLineEvents {
    const lost = (reason: 'room_deleted' | 'disconnected', detail: string) => {
      if (line.lost) return;
      line.lost = reason;
      log.info({ reason: detail }, 'the early phone lost its room before the stream started');
      // Not taken yet: it leaves now; a room deleted is remembered for the stream's session.
      if (this.#lines.get(callSid) !== line) return;
      void this.drop(callSid).then(() => {
        if (reason !== 'room_deleted') return;
        this.#lost.set(callSid, line);
        setTimeout(() => this.#lost.delete(callSid), LOST_KEPT_MS).unref();
      });
    };
    const ignore = () => undefined;
    return {
      onAgentAudio: ignore,
      onAgentState: ignore,
      onAgentJoined: ignore,
      onAgentLeft: ignore,
      onAgentUnreachable: ignore,
      onAgentReachable: ignore,
      onReconnecting: ignore,
      onReconnected: ignore,
      onDisconnected: (detail) => lost('disconnected', detail),
      onRoomDeleted: () => lost('room_deleted', 'room deleted'),
      ...(this.deps.readsText && { onTranscript: ignore, onToolCall: ignore }),
    };
  }
}
