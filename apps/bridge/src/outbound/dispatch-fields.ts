import type { ResultSchema } from '@callbridge/room-contract';
import type { CallStore } from '../records/call-store.js';

/** What an outbound call's record adds to the agent dispatch: the agent reads these fields. */
export interface OutboundDispatchFields {
  task?: string;
  instructions?: string;
  voice?: string;
  resultSchema?: ResultSchema;
}

/**
 * The task of an outbound call we placed, read from its record. Twilio can request our voice
 * webhook before `POST /api/calls` has stored the record (the REST answer and the callee picking up
 * race), so a missing record is awaited briefly. Calls placed by other systems have none.
 */
export async function outboundDispatchFields(
  store: Promise<CallStore>,
  callSid: string,
  waitMs = 3000,
): Promise<OutboundDispatchFields> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const record = await (await store).get(callSid);
    if (record) {
      const out: OutboundDispatchFields = {};
      if (record.task) out.task = record.task;
      if (record.instructions) out.instructions = record.instructions;
      if (record.voice) out.voice = record.voice;
      if (record.resultSchema) out.resultSchema = record.resultSchema;
      return out;
    }
    if (Date.now() >= deadline) return {};
    await new Promise((r) => setTimeout(r, 50));
  }
}
