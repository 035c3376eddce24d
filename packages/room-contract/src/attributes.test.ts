import { describe, expect, it } from 'vitest';
import {
  AGENT_STATE_ATTRIBUTE,
  isAgentSessionUp,
  PHONE_ATTRIBUTES,
  phoneAttributes,
  readTransferState,
  phoneAttributesSchema,
} from './attributes.js';

const call = { callSid: 'CA1', from: '+15551112222', to: '+15553334444', streamSid: 'MZ1' };

describe('phone participant attributes', () => {
  it('are LiveKit SIP names with the person on the line as sip.phoneNumber', () => {
    expect(phoneAttributes({ ...call, direction: 'inbound' })).toEqual({
      'sip.phoneNumber': '+15551112222',
      'sip.trunkPhoneNumber': '+15553334444',
      'sip.callID': 'CA1',
      'sip.callIDFull': 'CA1',
      'sip.callStatus': 'active',
      'sip.callDirection': 'inbound',
      'callbridge.streamSid': 'MZ1',
    });
    const outbound = phoneAttributes({ ...call, direction: 'outbound' });
    expect(outbound[PHONE_ATTRIBUTES.phoneNumber]).toBe('+15553334444');
    expect(outbound[PHONE_ATTRIBUTES.trunkPhoneNumber]).toBe('+15551112222');
  });

  it('what the bridge sets passes the schema the agent checks; a wrong direction does not', () => {
    const attrs = phoneAttributes({ ...call, direction: 'outbound' });
    expect(phoneAttributesSchema.parse(attrs)).toEqual(attrs);
    const bad = { ...attrs, [PHONE_ATTRIBUTES.callDirection]: 'sideways' };
    expect(phoneAttributesSchema.safeParse(bad).error?.issues[0]?.path).toEqual(['sip.callDirection']);
  });

  it('carries a machine detection verdict already known when the phone joins, and none otherwise', () => {
    const withVerdict = phoneAttributes({ ...call, direction: 'outbound', answeredBy: 'machine_end_beep' });
    expect(withVerdict[PHONE_ATTRIBUTES.answeredBy]).toBe('machine_end_beep');
    expect(phoneAttributesSchema.parse(withVerdict)).toEqual(withVerdict);
    expect(PHONE_ATTRIBUTES.answeredBy in phoneAttributes({ ...call, direction: 'outbound' })).toBe(false);
  });

  it('names the agent state attribute as LiveKit Agents does', () => {
    expect(AGENT_STATE_ATTRIBUTE).toBe('lk.agent.state');
  });

  it('a session is up from listening on, not while initializing', () => {
    expect(['listening', 'thinking', 'speaking'].every(isAgentSessionUp)).toBe(true);
    expect([undefined, 'initializing', '', 'away'].some(isAgentSessionUp)).toBe(false);
  });
});

describe('callbridge.transfer', () => {
  it('reads a transfer state and ignores anything else', () => {
    const state = { attempt: 2, state: 'failed', to: '+15550001111', reason: 'no-answer' };
    expect(readTransferState({ 'callbridge.transfer': JSON.stringify(state) })).toEqual(state);
    expect(readTransferState({})).toBeUndefined();
    expect(readTransferState({ 'callbridge.transfer': '{"state":"dialing"}' })).toBeUndefined();
    expect(readTransferState({ 'callbridge.transfer': 'not json' })).toBeUndefined();
    expect(
      readTransferState({ 'callbridge.transfer': JSON.stringify({ ...state, reason: 'maybe' }) }),
    ).toBeUndefined();
  });
});
