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

export interface AgentRpcDeps {
  config: Pick<BridgeConfig, 'transferAllowlist'>;
  log: Logger;
  callSid: string;
  /** Starts a warm transfer (allow-list already checked); false if the call cannot be transferred now. */
  transfer: (to: string, summary: string | undefined) => boolean;
  end: (outcome: CallOutcome, reason: string) => void;
}

/**
 * The methods the agent may call on the phone participant (the room contract's RPC_METHODS):
 * `hangup` ends the call; `transfer` starts a warm transfer to a number on TRANSFER_ALLOWLIST (the
 * phone stays in the room; `callbridge.transfer` tells how it goes). Both answer at once, so the
 * agent is never left waiting on the phone system.
 */
export function registerAgentRpc(phone: Pick<PhoneLine, 'registerRpc'>, deps: AgentRpcDeps): void {
  const { config, log } = deps;
  phone.registerRpc(RPC_METHODS.hangup, async (data) => {
    log.info({ agent: data.callerIdentity }, 'agent hung up');
    setTimeout(() => deps.end('agent_hung_up', 'hangup rpc'), 0);
    return JSON.stringify(RPC_OK);
  });
  phone.registerRpc(RPC_METHODS.transfer, async (data) => {
    const request = parseRpcPayload(transferRequestSchema, data.payload);
    if (!request.ok) {
      log.warn({ agent: data.callerIdentity, issue: request.issue }, 'transfer payload refused');
      throw new PhoneRpcRefusal(
        RPC_ERROR_CODES.badPayload,
        `transfer payload must be JSON {"to": "+1...", "summary"?: "..."} (${request.issue})`,
      );
    }
    const { to, summary } = request.value;
    if (!config.transferAllowlist.includes(to)) {
      throw new PhoneRpcRefusal(
        RPC_ERROR_CODES.refused,
        `transfer target ${to} is not in TRANSFER_ALLOWLIST`,
      );
    }
    if (!deps.transfer(to, summary)) {
      throw new PhoneRpcRefusal(RPC_ERROR_CODES.refused, 'the call cannot be transferred right now');
    }
    log.info({ callee: to, summary: summary !== undefined }, 'transfer dialing');
    return JSON.stringify(RPC_OK);
  });
}
