import { noResultReason } from '../results/no-result-reason.js';
import type { CallEventHub } from './call-events.js';
import type { CallStore } from './call-store.js';
import type { CallEnding } from './schema.js';

/**
 * Writes how the call ended; the first ending wins (a later one writes nothing more here). A call
 * that owed a result and has none gets the reason why; the ending is published, and `onEnded`
 * runs for a call with a result callback.
 */
export async function writeCallEnding(
  store: CallStore,
  hub: CallEventHub,
  onEnded: (callSid: string) => void,
  callSid: string,
  ending: CallEnding,
): Promise<void> {
  const { outcome, reason, endedAt: at, status } = ending;
  const first = await store.end(callSid, ending);
  if (!first) return;
  let record = await store.get(callSid);
  if (record?.resultSchema && record.result === null) {
    await store.update(callSid, { noResultReason: noResultReason(outcome, record.answeredBy) });
    record = await store.get(callSid);
  }
  hub.publish({ type: 'status', callSid, status, outcome, at, detail: reason });
  if (record) hub.publish({ type: 'ended', callSid, record });
  if (record?.callbackUrl) onEnded(callSid);
}
