/**
 * Control of the phone call, which the bridge owns: RPCs to the phone participant (`hangup`,
 * `transfer`) and the caller hanging up (`sip.callStatus` → `hangup`). The agent never talks to
 * the bridge directly; this is the whole contract on the agent's side.
 */
import {
  PHONE_ATTRIBUTES,
  PHONE_CALL_STATUS,
  playbackInterruptedReplySchema,
  readTransferState,
  RPC_METHODS,
  rpcOkSchema,
  type HangupRequest,
  type PlaybackInterruptedReply,
  type PlaybackInterruptedRequest,
  type ResultReport,
  type RpcMethod,
  type TransferRequest,
  type TransferState,
} from '@callbridge/room-contract';
import { RpcError, RoomEvent, type Participant, type Room } from '@livekit/rtc-node';
import type { Logger } from '../ops/logger.js';

const RPC_TIMEOUT_MS = 5_000;
/**
 * The interrupted reply waits for this answer before its truncation point is known; past it the
 * agent keeps its own playout position. The bridge answers at once (no I/O), so this is one round
 * trip through LiveKit.
 */
const PLAYBACK_RPC_TIMEOUT_MS = 1_000;

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
  /** Starts a warm transfer; the human hears `summary` first. */
  transfer(to: string, summary?: string): Promise<void>;
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

  /**
   * Asks the bridge for a warm transfer; throws TransferRefusedError if it will not. It answers as
   * soon as the dial starts; how it goes comes later in `callbridge.transfer` ({@link onTransfer}).
   */
  async transfer(to: string, summary?: string): Promise<void> {
    let reply: string;
    try {
      reply = await this.#rpc(RPC_METHODS.transfer, { to, summary } satisfies TransferRequest);
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

  /**
   * Tells the bridge the agent's speech was interrupted; it stops the caller's playback and says
   * how much of the utterance the caller heard. Undefined when it could not answer in time.
   */
  async playbackInterrupted(playedMs: number): Promise<PlaybackInterruptedReply | undefined> {
    try {
      const reply = await this.#rpc(
        RPC_METHODS.playbackInterrupted,
        { playedMs: Math.round(playedMs) } satisfies PlaybackInterruptedRequest,
        PLAYBACK_RPC_TIMEOUT_MS,
      );
      const parsed = playbackInterruptedReplySchema.safeParse(JSON.parse(reply));
      if (parsed.success) return parsed.data;
      this.#logger.warn({ issue: parsed.error.issues[0]?.message }, 'playback reply refused');
    } catch (err) {
      this.#logger.warn({ err: describe(err) }, 'playback position request failed');
    }
    return undefined;
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

  /**
   * Calls `onState` with each new `callbridge.transfer` state of the phone, starting with the
   * current one if a transfer is dialing as we start (a replacement agent). Returns an unsubscribe.
   */
  onTransfer(onState: (state: TransferState) => void): () => void {
    const now = this.#room.remoteParticipants.get(this.#identity);
    const current = now ? readTransferState(now.attributes) : undefined;
    let last: string | undefined = current ? JSON.stringify(current) : undefined;
    if (current?.state === 'dialing') onState(current);
    const handler = (_changed: Record<string, string>, participant: Participant) => {
      if (participant.identity !== this.#identity) return;
      const state = readTransferState(participant.attributes);
      const key = JSON.stringify(state);
      if (!state || key === last) return;
      last = key;
      onState(state);
    };
    this.#room.on(RoomEvent.ParticipantAttributesChanged, handler);
    return () => this.#room.off(RoomEvent.ParticipantAttributesChanged, handler);
  }

  async #rpc(
    method: RpcMethod,
    payload: HangupRequest | TransferRequest | PlaybackInterruptedRequest | ResultReport,
    timeoutMs = RPC_TIMEOUT_MS,
  ): Promise<string> {
    const local = this.#room.localParticipant;
    if (!local) throw new Error('not connected to the room');
    return local.performRpc({
      destinationIdentity: this.#identity,
      method,
      payload: JSON.stringify(payload),
      responseTimeout: timeoutMs,
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof RpcError) return `rpc ${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
