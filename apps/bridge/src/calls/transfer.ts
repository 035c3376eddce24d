/**
 * A warm transfer as the bridge tracks it. The agent asks (RPC `transfer`); the session ends the
 * caller's stream and Twilio's `<Redirect>` after `<Connect>` gets a `<Dial>` whose `<Number url>`
 * whispers the agent's summary to the human. The human accepts (the call is then theirs: the record
 * ends `transferred`), or the dial ends without them and the `<Dial action>` gets a new
 * `<Connect><Stream>`, which the same session takes over in the same room.
 */
import type { DialAction, DialCallStatus } from '@callbridge/twilio-media';
import type { TransferFailure } from '@callbridge/room-contract';
import type { TwilioStream } from '../media/twilio-stream.js';

export interface CallTransfer {
  /** 1 for the call's first transfer, 2 for its second, …: stale requests name an older one. */
  readonly attempt: number;
  readonly to: string;
  readonly summary: string | undefined;
  state: 'dialing' | 'accepted' | 'failed';
  reason?: TransferFailure;
}

/**
 * Hands a failed transfer's new Media Stream (its token and call already checked) to the session
 * that carried the call; false if that session cannot take it (it ended meanwhile).
 */
export type StreamHandover = (stream: TwilioStream, streamSid: string) => boolean;

/** What a `<Dial action>` request means for the transfer. */
export function dialOutcome(
  form: Pick<DialAction, 'DialCallStatus' | 'DialBridged' | 'CallStatus'>,
  acceptedByKey: boolean,
): { kind: 'connected' } | { kind: 'caller_gone' } | { kind: 'failed'; reason: TransferFailure } {
  // The caller's own leg is over (they hung up while it rang): nothing to come back to.
  if (form.CallStatus === 'completed' || form.CallStatus === 'canceled') return { kind: 'caller_gone' };
  const status: DialCallStatus = form.DialCallStatus;
  if (status === 'completed' || status === 'answered') {
    // Answered but not connected: the whisper hung the human's leg up (declined, or no key).
    // Older requests have no DialBridged: the key press is what says they accepted.
    const bridged = form.DialBridged === undefined ? acceptedByKey : form.DialBridged === 'true';
    return bridged ? { kind: 'connected' } : { kind: 'failed', reason: 'declined' };
  }
  return { kind: 'failed', reason: status };
}
