import type { DispatchMetadata } from '@callbridge/room-contract';
import { dispatchFieldsOf } from '../outbound/dispatch-fields.js';
import type { CallStore } from './call-store.js';
import { resumeHistory } from './resume-history.js';

/** What a replacement agent is dispatched with to continue a call. */
export type ResumeFields = Pick<DispatchMetadata, 'task' | 'instructions' | 'voice' | 'history'>;

/**
 * What a replacement agent needs to continue the call, from its record: the fields the first
 * dispatch carried (task, instructions, voice) and the conversation so far (transcript and tool
 * calls, most recent part).
 */
export async function readResumeFields(store: CallStore, callSid: string): Promise<ResumeFields> {
  const record = await store.get(callSid);
  const history = resumeHistory(await store.transcript(callSid), await store.toolCalls(callSid));
  return { ...(record ? dispatchFieldsOf(record) : {}), ...(history.length > 0 && { history }) };
}
