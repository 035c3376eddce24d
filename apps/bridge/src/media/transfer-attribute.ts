import { PHONE_ATTRIBUTES, type TransferState } from '@callbridge/room-contract';
import type { CallTransfer } from '../calls/transfer.js';

const STATE: Record<CallTransfer['state'], TransferState['state']> = {
  dialing: 'dialing',
  accepted: 'connected',
  failed: 'failed',
};

/** `callbridge.transfer` for the phone participant, as the room contract spells it. */
export function transferAttribute(transfer: CallTransfer): Record<string, string> {
  const state: TransferState = {
    attempt: transfer.attempt,
    state: STATE[transfer.state],
    to: transfer.to,
    ...(transfer.reason && { reason: transfer.reason }),
  };
  return { [PHONE_ATTRIBUTES.transfer]: JSON.stringify(state) };
}
