import type { ResultSchema, VoicemailPlan } from '@callbridge/room-contract';
import type { BridgeConfig } from '../config.js';
import type { CallStore } from '../records/call-store.js';
import type { CallRecord } from '../records/schema.js';

/** What an outbound call's record adds to the agent dispatch: the agent reads these fields. */
export interface OutboundDispatchFields {
  /** The ROUTES_FILE route the request chose (`route`, or its caller ID's), by name. */
  route?: string;
  task?: string;
  instructions?: string;
  voice?: string;
  resultSchema?: ResultSchema;
  machineDetection?: boolean;
  voicemail?: VoicemailPlan;
}

/** The dispatch fields a call's record holds (set for outbound calls placed through the API). */
export function dispatchFieldsOf(
  record: Pick<CallRecord, 'task' | 'instructions' | 'voice' | 'resultSchema'> & { route?: string | null },
): OutboundDispatchFields {
  const out: OutboundDispatchFields = {};
  if (record.route) out.route = record.route;
  if (record.task) out.task = record.task;
  if (record.instructions) out.instructions = record.instructions;
  if (record.voice) out.voice = record.voice;
  // A replacement agent must still report the task's result.
  if (record.resultSchema) out.resultSchema = record.resultSchema;
  return out;
}

/**
 * The task of an outbound call we placed, read from its record. Twilio can request our voice
 * webhook before `POST /api/calls` has stored the record (the REST answer and the callee picking up
 * race), so a missing record is awaited briefly. Calls placed by other systems have none.
 */
export async function outboundDispatchFields(
  store: Promise<CallStore>,
  callSid: string,
  outbound: Pick<BridgeConfig['outbound'], 'machineDetection' | 'voicemail'>,
  waitMs = 3000,
): Promise<OutboundDispatchFields> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const record = await (await store).get(callSid);
    if (record) {
      const out = dispatchFieldsOf(record);
      if (outbound.machineDetection !== 'off') {
        out.machineDetection = true;
        out.voicemail = voicemailPlanFor(record.voicemail, outbound.voicemail);
      }
      return out;
    }
    if (Date.now() >= deadline) return {};
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The request's voicemail plan, or VOICEMAIL_ACTION; a missing message is VOICEMAIL_MESSAGE's. */
export function voicemailPlanFor(
  requested: VoicemailPlan | null,
  defaults: { action: VoicemailPlan['action']; message?: string },
): VoicemailPlan {
  const action = requested?.action ?? defaults.action;
  const message = requested?.message ?? defaults.message;
  return message ? { action, message } : { action };
}
