import type { PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';

/** The caller's keys, published to the room as DTMF; keys pressed before the call is live wait for it. */
export class CallerKeys {
  private readonly pending: string[] = [];

  /** `log`: the call's logger when a publish fails (a failed transfer's new stream has its own). */
  constructor(private readonly log: () => Logger) {}

  /** A key the caller pressed; `phone` is the phone of the live call, none while it is not live. */
  pressed(digit: string, phone: PhoneLine | undefined): void {
    // A key pressed while we are still joining the room is sent once we are in.
    if (phone) this.publish(phone, digit);
    else this.pending.push(digit);
  }

  /** The call is live: the keys pressed meanwhile go out, in order. */
  live(phone: PhoneLine): void {
    for (const digit of this.pending.splice(0)) this.publish(phone, digit);
  }

  private publish(phone: PhoneLine, digit: string): void {
    phone
      .publishDtmf(digit)
      .catch((err: Error) => this.log().warn({ err: err.message }, 'dtmf publish failed'));
  }
}
