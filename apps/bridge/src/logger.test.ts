import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('bridge logs', () => {
  it('mask phone numbers, phone identities and digits (in every environment: no switch)', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (s: string) => void lines.push(s) });
    log.info({ caller: '+15551234567', callee: '+15559870000' }, 'call answered');
    log.info({ digit: '4' }, 'caller pressed a key');
    log.info({ room: 'call-CA1', identity: 'phone-15551234567' }, 'call live');
    const text = lines.join('');
    expect(text).not.toMatch(/5551234567|5559870000/);
    expect(text).toContain('+1555…4567');
    expect(text).toContain('phone-1555…4567');
    expect(JSON.parse(lines[1]!)).toMatchObject({ digit: '*' });
  });
});
