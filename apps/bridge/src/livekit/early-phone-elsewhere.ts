/**
 * A stream for a call another bridge instance answered: that instance may have started the phone's
 * join while the call rang (early-phone.ts), under the identity this instance's phone joins with.
 * LiveKit keeps the newest participant of an identity, so two joins in flight at once race: the one
 * that lands second disconnects the other mid-join, and a join cut that way was seen to hang for 15
 * s before LiveKit's client recovered (the caller heard nothing, and the agent was alone long
 * enough for the room to close). So this instance joins once the other's phone is in the room
 * (then it replaces it cleanly, as a handover does) or once that join must have settled.
 */

/** How long after another instance answered a call its phone's early join may still be in flight. */
export const EARLY_JOIN_SETTLE_MS = 3_000;
const POLL_MS = 50;

export interface EarlyPhoneElsewhere {
  /** When the other instance answered the call (ms since the epoch). */
  answeredAt: number;
  /** The phone's identity, the same on both instances. */
  identity: string;
  /** The identities in the call's room now. */
  identities: () => Promise<string[]>;
  /** Stop waiting (the call ended). */
  ended: () => boolean;
  now?: () => number;
}

/** Resolves when this instance may join: how it knew (`in_room`, `settled`, or `ended`). */
export async function untilEarlyPhoneSettled(
  o: EarlyPhoneElsewhere,
): Promise<'in_room' | 'settled' | 'ended'> {
  const now = o.now ?? Date.now;
  const deadline = o.answeredAt + EARLY_JOIN_SETTLE_MS;
  for (;;) {
    if (o.ended()) return 'ended';
    if (now() >= deadline) return 'settled';
    const identities: string[] = await o.identities().catch(() => []);
    if (identities.includes(o.identity)) return 'in_room';
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - now()))));
  }
}
