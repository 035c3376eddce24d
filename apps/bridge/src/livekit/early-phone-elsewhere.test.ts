import { describe, expect, it } from 'vitest';
import { EARLY_JOIN_SETTLE_MS, untilEarlyPhoneSettled } from './early-phone-elsewhere.js';

const IDENTITY = 'phone-15551230001';

describe('untilEarlyPhoneSettled', () => {
  it("waits for the answering instance's phone to be in the room, then lets this one join", async () => {
    let polls = 0;
    const seen = await untilEarlyPhoneSettled({
      answeredAt: Date.now(),
      identity: IDENTITY,
      // In the room from the third look on; another participant there meanwhile does not count.
      identities: async () => (++polls >= 3 ? ['agent-1', IDENTITY] : ['agent-1']),
      ended: () => false,
    });
    expect(seen).toBe('in_room');
    expect(polls).toBe(3);
  });

  it('joins once that join must have settled, whether or not it was seen, and stops when the call ends', async () => {
    const never = async () => ['agent-1'];
    const late = Date.now() - EARLY_JOIN_SETTLE_MS + 30;
    expect(
      await untilEarlyPhoneSettled({
        answeredAt: late,
        identity: IDENTITY,
        identities: never,
        ended: () => false,
      }),
    ).toBe('settled');
    // Long ago: no wait at all; a room the server cannot list reads as empty.
    const failing = () => Promise.reject(new Error('twirp error'));
    expect(
      await untilEarlyPhoneSettled({
        answeredAt: 0,
        identity: IDENTITY,
        identities: failing,
        ended: () => false,
      }),
    ).toBe('settled');
    expect(
      await untilEarlyPhoneSettled({
        answeredAt: Date.now(),
        identity: IDENTITY,
        identities: never,
        ended: () => true,
      }),
    ).toBe('ended');
  });
});
