import { PHONE_ATTRIBUTES } from '@callbridge/room-contract';
import type { CallEntry } from '../calls/registry.js';
import type { PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';

/**
 * A machine detection verdict that came while the phone joined (it joined with `attributes`), and
 * every later one, reach the room as the phone's `answeredBy` attribute.
 */
export function relayMachineVerdicts(
  call: CallEntry,
  phone: PhoneLine,
  attributes: Record<string, string>,
  log: () => Logger,
): void {
  const relayVerdict = (verdict: string) =>
    void phone.setAttributes({ [PHONE_ATTRIBUTES.answeredBy]: verdict }).catch((err: Error) => {
      log().warn({ err: err.message }, 'could not relay the machine detection verdict');
    });
  call.onAnsweredBy = relayVerdict;
  if (call.answeredBy && call.answeredBy !== attributes[PHONE_ATTRIBUTES.answeredBy])
    relayVerdict(call.answeredBy);
}
