/**
 * Bridges behind one load balancer share calls: Twilio's webhook may reach one instance and the
 * call's Media Stream another. What the streaming instance needs (direction, numbers, room, the
 * machine-detection verdict) is in the call's record, written before the webhook answers; the
 * agent was dispatched by the answering instance. No instance owns a call's room: the one that
 * answered lets go of a call whose stream started elsewhere, and only a call that never streamed
 * anywhere is ended for it.
 */
import { isPhoneIdentity } from '@callbridge/room-contract';
import type { CallRooms } from '../livekit/call-rooms.js';
import { roomNameFor } from '../livekit/call-rooms.js';
import type { Logger } from '../logger.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { CallStore } from '../records/call-store.js';
import type { CallLifecycle } from './call-lifecycle.js';
import { STREAM_LOST_STATUS } from './failover.js';
import type { CallEntry, CallRegistry } from './registry.js';

export interface SharedCallDeps {
  registry: CallRegistry;
  lifecycle: CallLifecycle;
  store: Promise<CallStore>;
  rooms: Pick<CallRooms, 'participantIdentities'>;
  recorder: Pick<CallRecorder, 'carriedHere'>;
  log: Logger;
}

/**
 * A stream (its token already verified) for a call this instance did not answer: the call as
 * another instance answered it, taken into this instance's registry, or undefined when the records
 * hold no such live call (never answered, or already ended).
 */
export async function adoptCall(deps: SharedCallDeps, callSid: string): Promise<CallEntry | undefined> {
  const { registry, lifecycle, log } = deps;
  let record;
  try {
    const store = await deps.store;
    record = await store.get(callSid);
    if (!record || record.outcome !== null) return undefined;
    // A call streaming on another instance has its stream: a second one is a replayed token (also
    // refused by its nonce, claimed for all instances). Only a stream lost with its bridge is replaced.
    if (record.streamStartedAt !== null && !(await lastStreamLost(store, callSid))) {
      log.warn({ callSid, carrier: record.instanceId }, 'stream for a call streaming elsewhere refused');
      return undefined;
    }
  } catch (err) {
    log.warn({ callSid, err: (err as Error).message }, 'call records unavailable: cannot take the stream');
    return undefined;
  }
  // Answered here meanwhile (a retried webhook): the one entry.
  const known = registry.get(callSid);
  if (known) return known;
  const context = { callSid, direction: record.direction, from: record.from, to: record.to };
  const entry = lifecycle.answer(context, record.room ?? roomNameFor(callSid));
  if (record.answeredBy) entry.answeredBy = record.answeredBy;
  if (record.streamStartedAt === null) entry.answeredElsewhereAt = record.createdAt;
  void deps.recorder.carriedHere(callSid);
  log.info({ callSid, answeredOn: record.instanceId }, 'stream of a call another bridge answered');
  return entry;
}

/** Whether the call's latest stream event is a stream lost with its bridge (failover.ts). */
async function lastStreamLost(store: CallStore, callSid: string): Promise<boolean> {
  const events = (await store.statusEvents(callSid)).filter(
    (e) => e.status === 'stream-started' || e.status === STREAM_LOST_STATUS,
  );
  return events.at(-1)?.status === STREAM_LOST_STATUS;
}

/**
 * Whether the call's stream started on any instance: its record says so (PostgreSQL: written by
 * whichever instance took the stream), or its room holds the phone participant.
 */
export async function streamedAnywhere(deps: SharedCallDeps, call: CallEntry): Promise<boolean> {
  const record = await (await deps.store).get(call.callSid).catch(() => undefined);
  if (record?.streamStartedAt != null) return true;
  const identities = await deps.rooms.participantIdentities(call.room).catch(() => []);
  return identities.some((identity) => isPhoneIdentity(identity));
}

/**
 * Twilio's stream did not reach this instance in time: let go of the call if it streams elsewhere,
 * else end it as `no_stream` (room deleted, outcome recorded).
 */
export async function onStreamTimeout(deps: SharedCallDeps, call: CallEntry): Promise<void> {
  if (call.streamSid || deps.lifecycle.isReleased(call)) return;
  if (await streamedAnywhere(deps, call)) {
    deps.lifecycle.handOff(call, 'its stream started on another bridge instance');
    return;
  }
  if (call.streamSid || deps.lifecycle.isReleased(call)) return;
  deps.log.warn({ callSid: call.callSid }, 'Twilio never opened the media stream; releasing the call');
  await deps.lifecycle.releaseCall(call, 'no_stream', 'Twilio never opened the media stream');
}
