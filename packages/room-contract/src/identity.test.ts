import { describe, expect, it } from 'vitest';
import { isPhoneIdentity, ourNumberOf, phoneIdentityFor, remotePartyOf } from './identity.js';

describe('phone identity', () => {
  it('is phone-<digits> of the number, whatever its punctuation', () => {
    expect(phoneIdentityFor('+15551234567', 'CA1')).toBe('phone-15551234567');
    expect(phoneIdentityFor('+1 (555) 123-4567', 'CA1')).toBe('phone-15551234567');
    expect(phoneIdentityFor('sip:2001@pbx.example.com', 'CA1')).toBe('phone-2001');
  });

  it('is phone-<callSid> when Twilio withholds the number, undefined with no call either', () => {
    expect(phoneIdentityFor('anonymous', 'CA0123')).toBe('phone-CA0123');
    expect(phoneIdentityFor('', 'CA0123')).toBe('phone-CA0123');
    expect(phoneIdentityFor(undefined, 'CA0123')).toBe('phone-CA0123');
    expect(phoneIdentityFor('anonymous')).toBeUndefined();
    expect(phoneIdentityFor(undefined)).toBeUndefined();
  });

  it('names the person on the line: the caller inbound, the callee outbound', () => {
    const call = { from: '+15551112222', to: '+15553334444' };
    expect(remotePartyOf({ ...call, direction: 'inbound' })).toBe('+15551112222');
    expect(ourNumberOf({ ...call, direction: 'inbound' })).toBe('+15553334444');
    expect(remotePartyOf({ ...call, direction: 'outbound' })).toBe('+15553334444');
    expect(ourNumberOf({ ...call, direction: 'outbound' })).toBe('+15551112222');
  });

  it('recognises a phone participant by its identity', () => {
    expect(isPhoneIdentity(phoneIdentityFor('+15551234567', 'CA1'))).toBe(true);
    expect(isPhoneIdentity('agent-AJ_x')).toBe(false);
    expect(isPhoneIdentity('developer')).toBe(false);
  });
});
