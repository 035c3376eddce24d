import { phoneIdentityFor } from '@callbridge/room-contract';
import { describe, expect, it } from 'vitest';
import { callContextFromMetadata, maskNumber, withParticipantAttributes } from './context.js';
import { composeInstructions } from './instructions.js';

const room = JSON.stringify({
  direction: 'inbound',
  from: '+15551234567',
  to: '+15557654321',
  callSid: 'CA1',
});

describe('call context', () => {
  it('reads the bridge metadata; the remote party depends on direction', () => {
    const inbound = callContextFromMetadata(
      JSON.stringify({ callSid: 'CA1', task: 'Confirm the booking' }),
      room,
    );
    expect(inbound).toMatchObject({
      callSid: 'CA1',
      direction: 'inbound',
      remoteNumber: '+15551234567',
      ourNumber: '+15557654321',
      task: 'Confirm the booking',
      issues: [],
    });
    const outbound = callContextFromMetadata(
      JSON.stringify({ direction: 'outbound', from: '+15557654321', to: '+15550001111', callSid: 'CA2' }),
      '',
    );
    expect(outbound).toMatchObject({ remoteNumber: '+15550001111', ourNumber: '+15557654321' });
    expect(phoneIdentityFor(outbound.remoteNumber)).toBe('phone-15550001111');
    expect(outbound.phoneIdentity).toBe('phone-15550001111');
    expect(inbound.phoneIdentity).toBe('phone-15551234567');
  });

  it('names the phone participant as the bridge does, also when Twilio withholds the number', () => {
    const withheld = callContextFromMetadata(
      JSON.stringify({ callSid: 'CA7', direction: 'inbound', from: 'anonymous', to: '+15557654321' }),
      '',
    );
    // Not a number the model may be told, but the bridge still joins as phone-<callSid>.
    expect(withheld.remoteNumber).toBeUndefined();
    expect(withheld.issues).toEqual(['dispatch.from is invalid']);
    expect(withheld.phoneIdentity).toBe('phone-CA7');
    // Metadata that does not name a whole call: only an E.164 number names the participant.
    expect(callContextFromMetadata(JSON.stringify({ callSid: 'CA8' }), '').phoneIdentity).toBeUndefined();
    expect(callContextFromMetadata(JSON.stringify({ from: '+15551234567' }), '').phoneIdentity).toBe(
      'phone-15551234567',
    );
  });

  it('keeps valid fields when others are bad, and notes the problems', () => {
    const ctx = callContextFromMetadata(
      JSON.stringify({ from: 'not a number', voice: 'ash', direction: 'sideways' }),
      'nonsense',
    );
    expect(ctx.voice).toBe('ash');
    expect(ctx.remoteNumber).toBeUndefined();
    expect(ctx.issues).toEqual([
      'dispatch.direction is invalid',
      'dispatch.from is invalid',
      'room metadata is not JSON',
    ]);
  });

  it('is empty for a room joined by hand', () => {
    expect(callContextFromMetadata('', '')).toEqual({ issues: [] } as never);
  });

  it('fills gaps from SIP-style participant attributes', () => {
    const ctx = withParticipantAttributes(callContextFromMetadata('', ''), {
      'sip.phoneNumber': '+15551234567',
      'sip.trunkPhoneNumber': '+15557654321',
      'sip.callID': 'CA9',
      'sip.callDirection': 'inbound',
    });
    expect(ctx).toMatchObject({
      callSid: 'CA9',
      direction: 'inbound',
      remoteNumber: '+15551234567',
      ourNumber: '+15557654321',
      issues: [],
    });
  });

  it('ignores attributes that break the room contract and notes them', () => {
    const ctx = withParticipantAttributes(callContextFromMetadata('', ''), {
      'sip.callID': 'CA9',
      'sip.callDirection': 'sideways',
      'sip.phoneNumber': '+15551234567',
    });
    expect(ctx.direction).toBeUndefined();
    expect(ctx).toMatchObject({ callSid: 'CA9', remoteNumber: '+15551234567' });
    expect(ctx.issues).toEqual(['attributes.sip.callDirection is invalid']);
  });

  it('masks numbers for logs', () => {
    expect(maskNumber('+15551234567')).toBe('+1555…4567');
    expect(maskNumber(undefined)).toBeUndefined();
  });

  it('puts persona, call facts and the dispatched task into the instructions', () => {
    const ctx = callContextFromMetadata(
      JSON.stringify({ task: 'Remind them of Tuesday', instructions: 'Speak Spanish.' }),
      room,
    );
    const text = composeInstructions('You are Ada.', ctx, new Date('2025-03-04T10:00:00Z'));
    expect(text).toBe(
      [
        'You are Ada.',
        'Call facts: The caller phoned us from +15551234567. Our phone number is +15557654321. Today is 2025-03-04 (UTC).',
        'Your task on this call: Remind them of Tuesday',
        'Speak Spanish.',
      ].join('\n\n'),
    );
  });
});
