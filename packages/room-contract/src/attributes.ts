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
  /** The Twilio Media Stream carrying the call's audio. */
  streamSid: 'callbridge.streamSid',
} as const;

/** Values of `sip.callStatus` this contract uses. */
export const PHONE_CALL_STATUS = { active: 'active', hangup: 'hangup' } as const;

/** LiveKit Agents' attribute on the agent participant: `listening`, `thinking`, `speaking`, … */
export const AGENT_STATE_ATTRIBUTE = 'lk.agent.state';

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
});
export type PhoneAttributes = z.infer<typeof phoneAttributesSchema>;

/** The attributes the bridge's phone participant joins with. */
export function phoneAttributes(call: {
  callSid: string;
  direction: CallDirection;
  from: string;
  to: string;
  streamSid: string;
}): PhoneAttributes {
  return {
    [PHONE_ATTRIBUTES.phoneNumber]: remotePartyOf(call),
    [PHONE_ATTRIBUTES.trunkPhoneNumber]: ourNumberOf(call),
    [PHONE_ATTRIBUTES.callId]: call.callSid,
    [PHONE_ATTRIBUTES.callIdFull]: call.callSid,
    [PHONE_ATTRIBUTES.callStatus]: PHONE_CALL_STATUS.active,
    [PHONE_ATTRIBUTES.callDirection]: call.direction,
    [PHONE_ATTRIBUTES.streamSid]: call.streamSid,
  };
}
