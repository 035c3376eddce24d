import {
  parseRpcPayload,
  RPC_ERROR_CODES,
  RPC_METHODS,
  RPC_OK,
  transferRequestSchema,
} from '@callbridge/room-contract';
import type { CallOutcome } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import { PhoneRpcRefusal, type PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { TwilioControl } from '../twilio/control.js';

export interface AgentRpcDeps {
  config: Pick<BridgeConfig, 'transferAllowlist'>;
  twilio: TwilioControl;
  log: Logger;
  callSid: string;
  /** The agent asked for a transfer to `to` and it was accepted (before the call ends). */
  onTransferred: (to: string) => void;
  end: (outcome: CallOutcome, reason: string) => void;
}

/**
 * The methods the agent may call on the phone participant (the room contract's RPC_METHODS):
 * `hangup` ends the call; `transfer` moves it to a number on TRANSFER_ALLOWLIST. Both answer
 * before the call ends, so the agent is not left waiting for a room that is going away.
 */
export function registerAgentRpc(phone: Pick<PhoneLine, 'registerRpc'>, deps: AgentRpcDeps): void {
  const { log } = deps;
  phone.registerRpc(RPC_METHODS.hangup, async (data) => {
    log.info({ agent: data.callerIdentity }, 'agent hung up');
    setTimeout(() => deps.end('agent_hung_up', 'hangup rpc'), 0);
    return JSON.stringify(RPC_OK);
  });
  phone.registerRpc(RPC_METHODS.transfer, async (data) => {
    const request = parseRpcPayload(transferRequestSchema, data.payload);
    if (!request.ok) {
      log.warn({ agent: data.callerIdentity, issue: request.issue }, 'transfer payload refused');
      throw new PhoneRpcRefusal(RPC_ERROR_CODES.badPayload, 'transfer payload must be JSON {"to": "+1..."}');
    }
    await transferCall(deps, request.value.to, 'transfer rpc');
    return JSON.stringify(RPC_OK);
  });
}

/**
 * Moves the call to `to` if it is on TRANSFER_ALLOWLIST (else throws a PhoneRpcRefusal): the agent's
 * `transfer` RPC and the operator console's transfer both come here.
 */
export async function transferCall(deps: AgentRpcDeps, to: string, reason: string): Promise<void> {
  const { config, twilio, log, callSid } = deps;
  if (!config.transferAllowlist.includes(to)) {
    throw new PhoneRpcRefusal(RPC_ERROR_CODES.refused, `transfer target ${to} is not in TRANSFER_ALLOWLIST`);
  }
  // With API credentials Twilio is told at once; without, ending the stream makes Twilio ask
  // /twilio/stream-ended, which answers with the <Dial>.
  if (twilio.canControlCalls) await twilio.transfer(callSid, to);
  deps.onTransferred(to);
  log.info({ callee: to }, 'call transferred');
  setTimeout(() => deps.end('transferred', reason), 0);
}
