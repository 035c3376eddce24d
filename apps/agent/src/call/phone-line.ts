/**
 * Control of the phone call, which the bridge owns: RPCs to the phone participant (`hangup`,
 * `transfer`) and the caller hanging up (`sip.callStatus` → `hangup`). The agent never talks to
 * the bridge directly; this is the whole contract on the agent's side.
 */
import {
  PHONE_ATTRIBUTES,
  PHONE_CALL_STATUS,
  RPC_METHODS,
  rpcOkSchema,
  type HangupRequest,
  type ResultReport,
  type RpcMethod,
  type TransferRequest,
} from '@callbridge/room-contract';
import { RpcError, RoomEvent, type Participant, type Room } from '@livekit/rtc-node';
import type { Logger } from '../ops/logger.js';

const RPC_TIMEOUT_MS = 5_000;

/** A transfer the bridge refused or could not perform; `message` is safe to tell the model. */
export class TransferRefusedError extends Error {
  override name = 'TransferRefusedError';
}

/** A task result the bridge refused (it does not fit the schema) or could not take; `message` is for the model. */
export class ResultRefusedError extends Error {
  override name = 'ResultRefusedError';
}

/** What tools may do with the line; PhoneLine implements it, tests can fake it. */
export interface PhoneControl {
  hangup(reason: string): Promise<boolean>;
  transfer(to: string): Promise<void>;
  /** Hands the task's result to the bridge, which validates and records it; throws ResultRefusedError. */
  reportResult(result: Record<string, unknown>): Promise<void>;
}

export class PhoneLine implements PhoneControl {
  readonly #room: Room;
  readonly #identity: string;
  readonly #logger: Logger;

  constructor(room: Room, identity: string, logger: Logger) {
    this.#room = room;
    this.#identity = identity;
    this.#logger = logger;
  }

  get identity(): string {
    return this.#identity;
  }

  /** Asks the bridge to end the call. Resolves false if it could not be asked (already gone, no bridge). */
  async hangup(reason: string): Promise<boolean> {
    try {
      await this.#rpc(RPC_METHODS.hangup, { reason } satisfies HangupRequest);
      this.#logger.info({ reason }, 'hangup requested');
      return true;
    } catch (err) {
      this.#logger.warn({ reason, err: describe(err) }, 'hangup request failed');
      return false;
    }
  }

  /** Asks the bridge to transfer the call; throws TransferRefusedError if it will not. */
  async transfer(to: string): Promise<void> {
    let reply: string;
    try {
      reply = await this.#rpc(RPC_METHODS.transfer, { to } satisfies TransferRequest);
    } catch (err) {
      throw new TransferRefusedError(
        err instanceof RpcError ? err.message : 'the phone system did not answer',
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(reply);
    } catch {
      json = undefined;
    }
    if (!rpcOkSchema.safeParse(json).success) {
      throw new TransferRefusedError('the phone system did not confirm the transfer');
    }
  }

  async reportResult(result: Record<string, unknown>): Promise<void> {
    let reply: string;
    try {
      reply = await this.#rpc(RPC_METHODS.reportResult, { result } satisfies ResultReport);
    } catch (err) {
      throw new ResultRefusedError(err instanceof RpcError ? err.message : 'the phone system did not answer');
    }
    let json: unknown;
    try {
      json = JSON.parse(reply);
    } catch {
      json = undefined;
    }
    if (!rpcOkSchema.safeParse(json).success)
      throw new ResultRefusedError('the phone system did not confirm the result');
  }

  /**
   * Calls `onVerdict` with answering machine detection's verdict (`callbridge.answeredBy`): at once
   * if the phone already carries it, else when the bridge sets it mid-call. Returns an unsubscribe.
   */
  onAnsweredBy(onVerdict: (verdict: string) => void): () => void {
    const current = this.#room.remoteParticipants.get(this.#identity)?.attributes[
      PHONE_ATTRIBUTES.answeredBy
    ];
    if (current) {
      onVerdict(current);
      return () => undefined;
    }
    const handler = (changed: Record<string, string>, participant: Participant) => {
      const verdict = changed[PHONE_ATTRIBUTES.answeredBy];
      if (participant.identity !== this.#identity || !verdict) return;
      this.#room.off(RoomEvent.ParticipantAttributesChanged, handler);
      onVerdict(verdict);
    };
    this.#room.on(RoomEvent.ParticipantAttributesChanged, handler);
    return () => this.#room.off(RoomEvent.ParticipantAttributesChanged, handler);
  }

  /** Calls `onHangup` once when the bridge marks the call as hung up. Returns an unsubscribe. */
  onHangup(onHangup: () => void): () => void {
    const handler = (changed: Record<string, string>, participant: Participant) => {
      if (
        participant.identity !== this.#identity ||
        changed[PHONE_ATTRIBUTES.callStatus] !== PHONE_CALL_STATUS.hangup
      )
        return;
      this.#room.off(RoomEvent.ParticipantAttributesChanged, handler);
      onHangup();
    };
    this.#room.on(RoomEvent.ParticipantAttributesChanged, handler);
    return () => this.#room.off(RoomEvent.ParticipantAttributesChanged, handler);
  }

  async #rpc(method: RpcMethod, payload: HangupRequest | TransferRequest | ResultReport): Promise<string> {
    const local = this.#room.localParticipant;
    if (!local) throw new Error('not connected to the room');
    return local.performRpc({
      destinationIdentity: this.#identity,
      method,
      payload: JSON.stringify(payload),
      responseTimeout: RPC_TIMEOUT_MS,
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof RpcError) return `rpc ${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
