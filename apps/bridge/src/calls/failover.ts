/**
 * A bridge that dies mid-call takes the caller's Media Stream with it, not the call: Twilio goes on
 * with the TwiML after `<Connect>` and requests /twilio/stream-ended, which the load balancer sends
 * to a live instance. That instance did not carry the stream, so it asks the records: a call that
 * streamed, has no ending and whose carrier wrote none (a live carrier writes its ending within
 * milliseconds of its socket closing; a dead one never does) gets a new `<Connect><Stream>` into the
 * same room, where the agent still is. The new stream is taken like any stream of a call another
 * instance answered (shared-calls.ts); the phone rejoins under the same identity, which replaces
 * the dead instance's participant in LiveKit.
 */
import type { Logger } from '../logger.js';
import type { CallEventHub } from '../records/call-events.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { CallStore } from '../records/call-store.js';
import type { CallOutcome } from './outcomes.js';

/** A call reconnected this often in a row is not helped by another try. */
export const MAX_STREAM_RECONNECTS = 3;
/** How long a live carrier is given to record its ending before the stream counts as lost. */
export const CARRIER_ENDING_WAIT_MS = 250;
/** The status event a reconnect writes: the record's gap. */
export const STREAM_LOST_STATUS = 'stream-lost';

export interface FailoverDeps {
  store: Promise<CallStore>;
  hub: Pick<CallEventHub, 'subscribe'>;
  recorder: Pick<CallRecorder, 'streamLost'>;
  log: Logger;
}

export type AfterStreamDecision =
  | { reconnect: true }
  | {
      reconnect: false;
      /** The ending another instance recorded, when there is one. */
      outcome?: CallOutcome;
    };

/** What to do with a call whose stream ended on another instance (or on none this one knows). */
export async function afterForeignStream(deps: FailoverDeps, callSid: string): Promise<AfterStreamDecision> {
  const { log } = deps;
  let store: CallStore;
  try {
    store = await deps.store;
    const ending = await carrierEnding(store, deps.hub, callSid);
    if (ending !== null) return { reconnect: false, outcome: ending };
    const record = await store.get(callSid);
    if (!record || record.outcome !== null || record.streamStartedAt === null) {
      return { reconnect: false, outcome: (record?.outcome as CallOutcome | null) ?? undefined };
    }
    const lost = (await store.statusEvents(callSid)).filter((s) => s.status === STREAM_LOST_STATUS);
    if (lost.length >= MAX_STREAM_RECONNECTS) {
      log.warn({ callSid, reconnects: lost.length }, 'stream lost again: not reconnecting');
      return { reconnect: false };
    }
    log.warn({ callSid, carrier: record.instanceId }, 'stream lost with its bridge: reconnecting the caller');
    await deps.recorder.streamLost(callSid, record.instanceId);
    return { reconnect: true };
  } catch (err) {
    log.warn({ callSid, err: (err as Error).message }, 'call records unavailable: cannot reconnect');
    return { reconnect: false };
  }
}

/**
 * The ending the carrier records for the call, if it does so within {@link CARRIER_ENDING_WAIT_MS}
 * (its `ended` event arrives through the bridges bus), or null.
 */
async function carrierEnding(
  store: CallStore,
  hub: Pick<CallEventHub, 'subscribe'>,
  callSid: string,
): Promise<CallOutcome | null> {
  let unsubscribe = () => {};
  const heard = new Promise<CallOutcome | null>((resolve) => {
    unsubscribe = hub.subscribe(callSid, (e) => {
      if (e.type === 'ended') resolve(e.record.outcome as CallOutcome | null);
      else if (e.type === 'status' && e.outcome !== null) resolve(e.outcome as CallOutcome);
    });
    setTimeout(() => resolve(null), CARRIER_ENDING_WAIT_MS).unref();
  });
  try {
    // Already written before we listened?
    const now = await store.get(callSid);
    if (now?.outcome) return now.outcome as CallOutcome;
    return await heard;
  } finally {
    unsubscribe();
  }
}
