import type { CallContext } from '../livekit/call-rooms.js';
import type { CallRoute } from '../routing/call-routes.js';
import type { CallOutcome } from './outcomes.js';
import type { CallTransfer, StreamHandover } from './transfer.js';

export type { CallOutcome } from './outcomes.js';

/** How a stream ended, kept briefly for Twilio's `<Redirect>` after `<Connect>` asks what next. */
export interface StreamEnding {
  outcome: CallOutcome;
  atMs: number;
}

/**
 * A call from the moment our webhook answers it until it ends. Its fields change only through the
 * registry's methods (attachStream, armStreamTimer, noteStatus) and CallLifecycle.
 */
export interface CallEntry extends CallContext {
  readonly room: string;
  readonly answeredAt: number;
  /** Set while a Media Stream is attached; only one per call. */
  streamSid?: string;
  /** Ends the call from outside the socket (status callback, shutdown). */
  end?: (outcome: CallOutcome, reason?: string) => Promise<void>;
  /** The operator console's transfer: the agent's warm transfer and allow-list (set while live). */
  operatorTransfer?: (to: string) => Promise<void>;
  /** Fires if Twilio never opens the stream. */
  streamTimer?: NodeJS.Timeout;
  lastStatus?: string;
  /** The latest warm transfer of this call (set by the session when the agent asks for one). */
  transfer?: CallTransfer;
  /**
   * While a transfer dials, the session that carried the call (still in the room with the agent):
   * a failed transfer's new stream is handed to it, so the call goes on in the same room.
   */
  handover?: StreamHandover;
  /** The ROUTES_FILE route the call took (set at the webhook): its agent, persona and transfer targets. */
  route?: CallRoute;
  /** Answering machine detection's verdict (outbound calls placed with detection), once known. */
  answeredBy?: string;
  /**
   * When another bridge instance answered this call whose stream started here (its record's time):
   * that instance's phone may still be joining the room (see early-phone-elsewhere.ts).
   */
  answeredElsewhereAt?: number;
  /** Set while the call is live: relays a verdict that arrives mid-call to the room. */
  onAnsweredBy?: (verdict: string) => void;
}

/** Active calls and the capacity limit. Single source of truth for `active_calls`. */
export class CallRegistry {
  private readonly calls = new Map<string, CallEntry>();
  /** Stream-token nonces already used, until they expire: a token opens one stream only. */
  private readonly usedNonces = new Map<string, number>();
  draining = false;
  private readonly endings = new Map<string, StreamEnding>();

  constructor(readonly maxConcurrentCalls: number) {}

  get active(): number {
    return this.calls.size;
  }

  /**
   * Calls answered here within the last `settlingMs` (their cost is not all in a CPU reading yet),
   * and the settled calls streaming here. A call answered longer ago without a stream here streams
   * on another bridge (or never will): neither.
   */
  settlingCounts(nowMs: number, settlingMs: number): { settled: number; settling: number } {
    let settled = 0;
    let settling = 0;
    for (const call of this.calls.values()) {
      if (nowMs - call.answeredAt < settlingMs) settling++;
      else if (call.streamSid) settled++;
    }
    return { settled, settling };
  }

  hasCapacity(): boolean {
    return !this.draining && this.calls.size < this.maxConcurrentCalls;
  }

  get(callSid: string): CallEntry | undefined {
    return this.calls.get(callSid);
  }

  add(entry: CallEntry): void {
    this.calls.set(entry.callSid, entry);
  }

  /**
   * A Media Stream carries this call from now on: `end` ends it from outside the socket. False
   * (and nothing changes) when the call already has a stream.
   */
  attachStream(
    call: CallEntry,
    streamSid: string,
    end: (outcome: CallOutcome, reason?: string) => Promise<void>,
  ): boolean {
    if (call.streamSid) return false;
    call.streamSid = streamSid;
    call.end = end;
    clearTimeout(call.streamTimer);
    call.streamTimer = undefined;
    return true;
  }

  /** The call's stream ended for a transfer: the call stays, a later stream may attach. */
  detachStream(call: CallEntry): void {
    call.streamSid = undefined;
  }

  /** Calls `onTimeout` if no stream attaches within `ms` (Twilio never opened it). */
  armStreamTimer(call: CallEntry, ms: number, onTimeout: () => void): void {
    clearTimeout(call.streamTimer);
    call.streamTimer = setTimeout(() => {
      if (!call.streamSid) onTimeout();
    }, ms);
    call.streamTimer.unref();
  }

  /** The latest status Twilio reported for the call. */
  noteStatus(call: CallEntry, status: string): void {
    call.lastStatus = status;
  }

  remove(callSid: string): CallEntry | undefined {
    const entry = this.calls.get(callSid);
    if (entry?.streamTimer) clearTimeout(entry.streamTimer);
    this.calls.delete(callSid);
    return entry;
  }

  /** Remembers why a call's stream ended, for the after-stream request that follows it. */
  recordEnding(callSid: string, ending: Omit<StreamEnding, 'atMs'>, nowMs = Date.now()): void {
    for (const [sid, e] of this.endings) if (nowMs - e.atMs > 60_000) this.endings.delete(sid);
    this.endings.set(callSid, { ...ending, atMs: nowMs });
  }

  hasEnding(callSid: string): boolean {
    return this.endings.has(callSid);
  }

  takeEnding(callSid: string): StreamEnding | undefined {
    const ending = this.endings.get(callSid);
    this.endings.delete(callSid);
    return ending;
  }

  all(): CallEntry[] {
    return [...this.calls.values()];
  }

  /** Records a token nonce; false if it was used before (a replayed stream token). */
  claimNonce(nonce: string, expiresAtMs: number, nowMs = Date.now()): boolean {
    for (const [n, exp] of this.usedNonces) if (exp <= nowMs) this.usedNonces.delete(n);
    if (this.usedNonces.has(nonce)) return false;
    this.usedNonces.set(nonce, expiresAtMs);
    return true;
  }
}
