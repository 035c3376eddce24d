/**
 * The one way a call begins and ends in the bridge. Every ending (the media session's teardown,
 * Twilio never opening the stream, a status callback for a call without a stream, shutdown)
 * goes through `releaseCall`, which owns what an ending must do, exactly once per call: leave the
 * registry, update the gauges and counters, write the record's outcome, delete the LiveKit room
 * (logging a failure instead of swallowing it), and log one "call ended" line.
 */
import type { CallContext } from '../livekit/call-rooms.js';
import type { CallRooms } from '../livekit/call-rooms.js';
import type { EarlyPhones } from '../livekit/early-phone.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import type { CallEventHub } from '../records/call-events.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { LiveCalls } from './live-calls.js';
import type { CallEntry, CallRegistry } from './registry.js';
import type { CallOutcome } from './outcomes.js';

export interface CallLifecycleDeps {
  registry: CallRegistry;
  rooms: Pick<CallRooms, 'deleteRoom'>;
  metrics: Pick<BridgeMetrics, 'activeCalls' | 'callsEnded' | 'callDuration'>;
  recorder: Pick<CallRecorder, 'ended'>;
  log: Logger;
  /** The operator console's view of active calls. */
  live?: Pick<LiveCalls, 'add' | 'remove' | 'handOff'>;
  /** Call events of every instance: a stream started elsewhere hands the call off. */
  hub?: Pick<CallEventHub, 'subscribe'>;
  /** Phones that joined while their call rang: one no stream took leaves before the room goes. */
  earlyPhones?: Pick<EarlyPhones, 'drop' | 'handOver'>;
}

/** What the media session knows about a call it carried, for the "call ended" line. */
export interface CallEndDetails {
  /** How long the stream was up (0 when it never went live). */
  durationMs?: number;
  framesIn?: number;
  framesOut?: number;
}

export class CallLifecycle {
  readonly #deps: CallLifecycleDeps;
  readonly #released = new WeakSet<CallEntry>();
  /** Stops each unreleased call's watch for its stream starting on another instance. */
  readonly #unwatch = new WeakMap<CallEntry, () => void>();

  constructor(deps: CallLifecycleDeps) {
    this.#deps = deps;
  }

  /**
   * A call our webhook answered (or whose stream came here after another instance answered it): in the registry (and counted active) until it is released or handed off.
   */
  answer(context: CallContext, room: string, nowMs = Date.now()): CallEntry {
    const entry: CallEntry = { ...context, room, answeredAt: nowMs };
    this.#deps.registry.add(entry);
    this.#deps.metrics.activeCalls.set(this.#deps.registry.active);
    this.#deps.live?.add({ ...context, room, answeredAt: nowMs });
    // A stream that starts on another instance (its event comes through the bridges bus) carries
    // the call from there: this instance lets go without touching the room or the record.
    const unwatch = this.#deps.hub?.subscribe(context.callSid, (event) => {
      if (event.type !== 'status' || event.status !== 'stream-started') return;
      if (entry.streamSid || entry.handover || event.detail === null) return;
      this.handOff(entry, 'its stream started on another bridge instance');
    });
    if (unwatch) this.#unwatch.set(entry, unwatch);
    return entry;
  }

  /**
   * Another instance carries the call now: leave the registry and the gauges, nothing else (the
   * room, the record and the ending belong to whoever carries it). False if already released.
   */
  handOff(call: CallEntry, reason: string): boolean {
    if (this.#released.has(call)) return false;
    this.#released.add(call);
    this.#unwatch.get(call)?.();
    const { registry, metrics, log } = this.#deps;
    if (registry.get(call.callSid) === call) registry.remove(call.callSid);
    this.#deps.live?.handOff(call.callSid);
    // Its phone there replaces ours in the room; leaving first would look like the caller hanging up.
    this.#deps.earlyPhones?.handOver(call.callSid);
    metrics.activeCalls.set(registry.active);
    log.info({ callSid: call.callSid, reason }, 'call handed off');
    return true;
  }

  /** Whether this call was already released (its ending is written and counted). */
  isReleased(call: CallEntry): boolean {
    return this.#released.has(call);
  }

  /**
   * Ends the call's bookkeeping and deletes its room, once; a second release of the same call is
   * a no-op that resolves false. Whoever carried the call's media has already let go of it.
   */
  async releaseCall(
    call: CallEntry,
    outcome: CallOutcome,
    reason: string | undefined,
    details: CallEndDetails = {},
  ): Promise<boolean> {
    if (this.#released.has(call)) return false;
    this.#released.add(call);
    this.#unwatch.get(call)?.();
    const { registry, rooms, metrics, recorder, log } = this.#deps;
    if (registry.get(call.callSid) === call) registry.remove(call.callSid);
    this.#deps.live?.remove(call.callSid, outcome);
    metrics.activeCalls.set(registry.active);
    metrics.callsEnded.inc({ outcome });
    metrics.callDuration.observe((details.durationMs ?? 0) / 1000);
    void recorder.ended(call.callSid, outcome, reason);
    log.info({ callSid: call.callSid, outcome, reason, ...details }, 'call ended');
    // Left before the room is deleted: a participant the server removes keeps native threads.
    await this.#deps.earlyPhones?.drop(call.callSid);
    await rooms.deleteRoom(call.room).catch((err: Error) => {
      // LiveKit deletes an empty room on its own after its departure timeout; say so, go on.
      log.warn(
        { callSid: call.callSid, room: call.room, err: err.message },
        'could not delete the call room',
      );
    });
    return true;
  }
}
