import { describe, expect, it } from 'vitest';
import { dialOutcome } from './transfer.js';

describe('dialOutcome (what a <Dial action> request means for a warm transfer)', () => {
  const up = { CallStatus: 'in-progress' } as const;

  it('connected only when the human was bridged to the caller', () => {
    expect(dialOutcome({ ...up, DialCallStatus: 'completed', DialBridged: 'true' }, false)).toEqual({
      kind: 'connected',
    });
    // Answered, but the whisper hung their leg up: they declined.
    expect(dialOutcome({ ...up, DialCallStatus: 'completed', DialBridged: 'false' }, true)).toEqual({
      kind: 'failed',
      reason: 'declined',
    });
    // Without DialBridged, the accepting key press decides.
    expect(dialOutcome({ ...up, DialCallStatus: 'completed' }, true)).toEqual({ kind: 'connected' });
    expect(dialOutcome({ ...up, DialCallStatus: 'completed' }, false)).toEqual({
      kind: 'failed',
      reason: 'declined',
    });
  });

  it.each(['no-answer', 'busy', 'failed', 'canceled'] as const)(
    '%s sends the caller back with that reason',
    (status) => {
      expect(dialOutcome({ ...up, DialCallStatus: status, DialBridged: 'false' }, false)).toEqual({
        kind: 'failed',
        reason: status,
      });
    },
  );

  it('a caller whose own leg is over cannot come back', () => {
    expect(dialOutcome({ CallStatus: 'completed', DialCallStatus: 'no-answer' }, false)).toEqual({
      kind: 'caller_gone',
    });
  });
});
