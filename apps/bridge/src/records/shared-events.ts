/**
 * Makes the live feeds whole across bridge instances: each call's SSE events (CallEventHub) and
 * the console's all-calls feed (LiveCalls) go out on the bridges bus and come in from it, so a
 * dashboard connected to any instance sees every call, whichever instance carries it.
 */
import { z } from 'zod';
import type { LiveCallEvent, LiveCalls } from '../calls/live-calls.js';
import type { Logger } from '../logger.js';
import type { CallEvent, CallEventHub } from './call-events.js';
import type { CallStore } from './call-store.js';
import type { ClusterBus } from './cluster-bus.js';

/** What arrives from the bus, checked before it reaches a dashboard (other instances run other versions). */
const callEventIn = z
  .object({
    type: z.enum(['status', 'transcript', 'tool_call', 'result', 'operator_action', 'ended']),
    callSid: z.string().min(1).max(64),
  })
  .passthrough();
const liveEventIn = z.union([
  z.object({
    type: z.literal('upsert'),
    call: z
      .object({ callSid: z.string().min(1).max(64), room: z.string(), answeredAt: z.number() })
      .passthrough(),
  }),
  z.object({ type: z.literal('gone'), callSid: z.string().min(1).max(64), outcome: z.string() }),
]);

export function shareLiveEvents(deps: {
  bus: ClusterBus;
  hub: CallEventHub;
  live: LiveCalls;
  store: Promise<CallStore>;
  log: Logger;
}): void {
  const { bus, hub, live, store, log } = deps;
  hub.shareWith((event) => {
    // The final record can be larger than a notification: the others read it from the records.
    const body = event.type === 'ended' ? { type: 'ended', callSid: event.callSid } : event;
    if (!bus.publish('call', body))
      log.warn({ callSid: event.callSid, type: event.type }, 'call event not shared with other bridges');
  });
  bus.subscribe('call', (body) => {
    const parsed = callEventIn.safeParse(body);
    if (!parsed.success) return log.warn('malformed call event from another bridge ignored');
    const event = parsed.data;
    if (event.type !== 'ended') return hub.deliver(event as unknown as CallEvent);
    void store
      .then((s) => s.get(event.callSid))
      .then((record) => record && hub.deliver({ type: 'ended', callSid: event.callSid, record }))
      .catch((err: Error) => log.warn({ err: err.message }, 'could not read an ended call for its feed'));
  });
  live.shareWith((event) => {
    if (!bus.publish('live', event)) log.warn('live call change not shared with other bridges');
  });
  bus.subscribe('live', (body) => {
    const parsed = liveEventIn.safeParse(body);
    if (!parsed.success) return log.warn('malformed live call change from another bridge ignored');
    live.apply(parsed.data as unknown as LiveCallEvent);
  });
}
