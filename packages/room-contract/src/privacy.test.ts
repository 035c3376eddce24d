import { describe, expect, it } from 'vitest';
import { maskIdentity, maskPhoneNumber, personalDataRedaction } from './privacy.js';

describe('personal data in logs', () => {
  it('masks numbers and phone identities, keeping enough to correlate', () => {
    expect(maskPhoneNumber('+15551234567')).toBe('+1555…4567');
    expect(maskPhoneNumber('anonymous')).toBe('anony…mous');
    expect(maskPhoneNumber('266696687')).toBe('26669…6687');
    expect(maskPhoneNumber('+1555')).toBe('…');
    expect(maskPhoneNumber(undefined)).toBeUndefined();
    expect(maskIdentity('phone-15551234567')).toBe('phone-1555…4567');
    expect(maskIdentity('phone-CA0123456789abcdef0123456789abcdef')).toBe(
      'phone-CA0123456789abcdef0123456789abcdef',
    );
    expect(maskIdentity('agent-AJ_x')).toBe('agent-AJ_x');
  });

  it('tells pino which fields to mask and how', () => {
    const { paths, censor } = personalDataRedaction();
    expect(paths).toEqual(expect.arrayContaining(['caller', '*.callee', 'identity', 'digit']));
    expect(censor('+15551234567', ['caller'])).toBe('+1555…4567');
    expect(censor('+15551234567', ['call', 'callee'])).toBe('+1555…4567');
    expect(censor('phone-15551234567', ['participant'])).toBe('phone-1555…4567');
    expect(censor('7', ['digit'])).toBe('*');
  });
});
