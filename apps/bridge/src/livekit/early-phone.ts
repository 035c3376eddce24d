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
}

export class EarlyPhones {
  readonly #lines = new Map<string, EarlyLine>();

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
  async take(callSid: string): Promise<PhoneLine | undefined> {
    const line = this.#lines.get(callSid);
    if (!line) return undefined;
    this.#lines.delete(callSid);
    if (await line.joined) return line.phone;
    await line.phone?.leave().catch(() => undefined);
    return undefined;
  }

  /** The call ended (or went to another instance) before a session took its line: it leaves. */
  async drop(callSid: string): Promise<void> {
    const line = this.#lines.get(callSid);
    if (!line) return;
    this.#lines.delete(callSid);
    await line.phone?.leave().catch(() => undefined);
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
    return true;
  }

  /** Until a session adopts the line, the room's news has no one to go to; losing the room ends the line. */
  #untilAdopted(callSid: string, line: EarlyLine, log: Logger): PhoneLineEvents {
    const lost = (reason: string) => {
      if (this.#lines.get(callSid) !== line) return;
      log.info({ reason }, 'the early phone lost its room before the stream started');
      void this.drop(callSid);
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
      onDisconnected: lost,
      onRoomDeleted: () => lost('room deleted'),
      ...(this.deps.readsText && { onTranscript: ignore, onToolCall: ignore }),
    };
  }
}
