import { PHONE_ATTRIBUTES, RPC_ERROR_CODES } from '@callbridge/room-contract';
import type { CallEntry, CallRegistry } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import { PhoneRpcRefusal, type PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { CallRecorder } from '../records/call-recorder.js';
import { transferAttribute } from './transfer-attribute.js';

interface TransferParts {
  call: CallEntry;
  phone: PhoneLine;
  registry: CallRegistry;
  recorder?: CallRecorder;
  log: Logger;
}

/**
 * A warm transfer starts (the allow-list was checked): its attempt is noted on the call, the
 * stream detached from it (not the call ended), the record told, and the room told through
 * `callbridge.transfer`. The call's session then closes the stream; Twilio asks
 * /twilio/stream-ended, which dials.
 */
export function startTransfer(
  { call, phone, registry, recorder, log }: TransferParts,
  to: string,
  summary: string | undefined,
): void {
  const transfer = { attempt: (call.transfer?.attempt ?? 0) + 1, to, summary, state: 'dialing' as const };
  call.transfer = transfer;
  registry.detachStream(call);
  void recorder?.transferStep(call.callSid, 'transfer-dialing', `attempt ${transfer.attempt}`);
  void phone.setAttributes(transferAttribute(transfer)).catch((err: Error) => {
    log.warn({ err: err.message }, 'could not publish the transfer state');
  });
}

/** The transfer failed and the caller's new stream carries the call: the record and the room are told. */
export function announceCallerBack({ call, phone, recorder, log }: TransferParts, streamSid: string): void {
  const transfer = call.transfer!;
  log.info({ attempt: transfer.attempt, reason: transfer.reason }, 'transfer failed, caller back');
  void recorder?.transferStep(call.callSid, 'stream-started', streamSid);
  void phone
    .setAttributes({ [PHONE_ATTRIBUTES.streamSid]: streamSid, ...transferAttribute(transfer) })
    .catch((err: Error) => log.warn({ err: err.message }, 'could not publish the transfer state'));
}

/**
 * The console's transfer: the same warm transfer and allow-list as the agent's `transfer` RPC.
 * `transferOut` starts it, or refuses (false) when the call cannot be transferred now.
 */
export function operatorTransfer(
  config: Pick<BridgeConfig, 'transferAllowlist'>,
  transferOut: (to: string, summary: string) => boolean,
): (to: string) => Promise<void> {
  return async (to) => {
    if (!config.transferAllowlist.includes(to))
      throw new PhoneRpcRefusal(
        RPC_ERROR_CODES.refused,
        `transfer target ${to} is not in TRANSFER_ALLOWLIST`,
      );
    if (!transferOut(to, 'An operator is transferring this call to you.'))
      throw new Error('the call cannot be transferred right now');
  };
}
