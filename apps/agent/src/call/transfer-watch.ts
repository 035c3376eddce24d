/**
 * Follows a warm transfer on the agent's side, from the phone's `callbridge.transfer` attribute:
 * while the human's phone rings the caller hears ringing, not us, so their silence does not count;
 * when the transfer fails the caller is back on the line and the model is told why, to say so and
 * carry on. A connected transfer needs nothing here: the bridge hangs the call up next.
 */
import type { TransferFailure, TransferState } from '@callbridge/room-contract';
import type { Logger } from '../ops/logger.js';

const WHY: Record<TransferFailure, string> = {
  'no-answer': 'nobody answered',
  busy: 'the line was busy',
  failed: 'the call could not be connected',
  canceled: 'the call was canceled',
  declined: 'the person did not accept the call',
};

/** The instruction for the model's next reply after a failed transfer. */
export function transferFailedInstructions(state: TransferState): string {
  const why = state.reason ? WHY[state.reason] : 'it did not go through';
  return (
    `The transfer to ${state.to} did not go through: ${why}. The caller is back on the line with you. ` +
    'Tell them briefly, then offer to help with what you can or to take a message. Do not try the same number again unless they ask.'
  );
}

export function watchTransfers(opts: {
  onTransfer: (onState: (state: TransferState) => void) => () => void;
  /** The caller is on hold (true) or back (false). */
  hold: (held: boolean) => void;
  /** Asks the model for a reply with these instructions. */
  reply: (instructions: string) => void;
  log: Logger;
}): () => void {
  return opts.onTransfer((state) => {
    opts.log.info({ attempt: state.attempt, state: state.state, reason: state.reason }, 'transfer state');
    if (state.state === 'dialing') return opts.hold(true);
    if (state.state === 'failed') {
      opts.hold(false);
      opts.reply(transferFailedInstructions(state));
    }
  });
}
