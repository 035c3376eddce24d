/**
 * Participant attributes. The bridge's phone participant carries the same `sip.*` attributes a
 * LiveKit SIP participant does (so an agent written for LiveKit SIP works unchanged), plus the
 * bridge's own `callbridge.*` ones. The agent publishes its state in `lk.agent.state` (LiveKit
 * Agents' name), which the bridge reads to notice the agent being interrupted.
 */
import { z } from 'zod';
import { callDirectionSchema, type CallDirection } from './dispatch.js';
import { ourNumberOf, remotePartyOf } from './identity.js';

export const PHONE_ATTRIBUTES = {
  /** The person on the line (the caller of an inbound call, the callee of an outbound one). */
  phoneNumber: 'sip.phoneNumber',
  /** Our Twilio number. */
  trunkPhoneNumber: 'sip.trunkPhoneNumber',
  callId: 'sip.callID',
  callIdFull: 'sip.callIDFull',
  /** `active` while the call is up; LiveKit SIP sets `hangup` when the caller hangs up. */
  callStatus: 'sip.callStatus',
  callDirection: 'sip.callDirection',
  /** The Twilio Media Stream carrying the call's audio (a new one after a failed transfer). */
  streamSid: 'callbridge.streamSid',
  /** A warm transfer's progress, JSON of {@link TransferState}; absent until the first transfer. */
  transfer: 'callbridge.transfer',
  /**
   * Answering machine detection's verdict (`human`, `machine_start`, `machine_end_beep`,
   * `machine_end_silence`, `machine_end_other`, `fax`, `unknown`) on outbound calls placed with
   * detection. Set when the phone joins if the verdict is already known, else changed mid-call
   * when Twilio's asynchronous callback brings it; absent until then.
   */
  answeredBy: 'callbridge.answeredBy',
} as const;

/** Values of `sip.callStatus` this contract uses. */
export const PHONE_CALL_STATUS = { active: 'active', hangup: 'hangup' } as const;

/**
 * Why a transfer did not connect: Twilio's DialCallStatus (`no-answer`, `busy`, `failed`,
 * `canceled`), or `declined` when the human answered but did not accept (or hung up on the whisper).
 */
export const TRANSFER_FAILURES = ['no-answer', 'busy', 'failed', 'canceled', 'declined'] as const;
export type TransferFailure = (typeof TRANSFER_FAILURES)[number];

/**
 * `callbridge.transfer` on the phone participant. `dialing`: the caller hears ringing while the
 * human's phone rings (no caller audio meanwhile); `connected`: the human accepted, the call leaves
 * the room; `failed`: the caller is back on a new stream in the same room, `reason` says why.
 * `attempt` counts transfers of this call, so a second failure is a change too.
 */
export const transferStateSchema = z.object({
  attempt: z.number().int().positive(),
  state: z.enum(['dialing', 'connected', 'failed']),
  to: z.string().min(1),
  reason: z.enum(TRANSFER_FAILURES).optional(),
});
export type TransferState = z.infer<typeof transferStateSchema>;

/** Reads `callbridge.transfer`; undefined when absent or not the contract's shape. */
export function readTransferState(attributes: Record<string, string>): TransferState | undefined {
  const raw = attributes[PHONE_ATTRIBUTES.transfer];
  if (raw === undefined) return undefined;
  try {
    const parsed = transferStateSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** LiveKit Agents' attribute on the agent participant: `listening`, `thinking`, `speaking`, … */
export const AGENT_STATE_ATTRIBUTE = 'lk.agent.state';

const SESSION_UP_STATES: ReadonlySet<string> = new Set(['listening', 'thinking', 'speaking']);

/** Whether an `lk.agent.state` value means the agent's session is up (not `initializing`, not gone). */
export function isAgentSessionUp(state: string | undefined): boolean {
  return state !== undefined && SESSION_UP_STATES.has(state);
}

/**
 * On an operator's console participant (set by the token the bridge issues): `listen` (hidden,
 * subscribe-only) or `takeover`. While a `takeover` participant is in the room the caller hears it
 * instead of the agent, and the agent stays silent; when it leaves, the agent has the call again.
 */
export const OPERATOR_ATTRIBUTE = 'callbridge.operator';
export const OPERATOR_MODES = { listen: 'listen', takeover: 'takeover' } as const;

/** The phone participant's attributes as the bridge sets them. */
export const phoneAttributesSchema = z.object({
  [PHONE_ATTRIBUTES.phoneNumber]: z.string(),
  [PHONE_ATTRIBUTES.trunkPhoneNumber]: z.string(),
  [PHONE_ATTRIBUTES.callId]: z.string().min(1),
  [PHONE_ATTRIBUTES.callIdFull]: z.string().min(1),
  [PHONE_ATTRIBUTES.callStatus]: z.string().min(1),
  [PHONE_ATTRIBUTES.callDirection]: callDirectionSchema,
  [PHONE_ATTRIBUTES.streamSid]: z.string().min(1),
  [PHONE_ATTRIBUTES.answeredBy]: z.string().min(1).optional(),
});
export type PhoneAttributes = z.infer<typeof phoneAttributesSchema>;

/** The attributes the bridge's phone participant joins with. */
export function phoneAttributes(call: {
  callSid: string;
  direction: CallDirection;
  from: string;
  to: string;
  streamSid: string;
  /** Answering machine detection's verdict, when already known as the phone joins. */
  answeredBy?: string;
}): PhoneAttributes {
  return {
    [PHONE_ATTRIBUTES.phoneNumber]: remotePartyOf(call),
    [PHONE_ATTRIBUTES.trunkPhoneNumber]: ourNumberOf(call),
    [PHONE_ATTRIBUTES.callId]: call.callSid,
    [PHONE_ATTRIBUTES.callIdFull]: call.callSid,
    [PHONE_ATTRIBUTES.callStatus]: PHONE_CALL_STATUS.active,
    [PHONE_ATTRIBUTES.callDirection]: call.direction,
    [PHONE_ATTRIBUTES.streamSid]: call.streamSid,
    ...(call.answeredBy ? { [PHONE_ATTRIBUTES.answeredBy]: call.answeredBy } : {}),
  };
}
