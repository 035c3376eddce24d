import {
  parseRpcPayload,
  RPC_ERROR_CODES,
  RPC_METHODS,
  RPC_OK,
  resultReportSchema,
  transferRequestSchema,
} from '@callbridge/room-contract';
import type { CallOutcome } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import { PhoneRpcRefusal, type PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import { isMachineVerdict } from '../results/no-result-reason.js';
import type { TwilioControl } from '../twilio/control.js';

export interface AgentRpcDeps {
  config: Pick<BridgeConfig, 'transferAllowlist'>;
  twilio: TwilioControl;
  log: Logger;
  callSid: string;
  /** The agent asked for a transfer to `to` and it was accepted (before the call ends). */
  onTransferred: (to: string) => void;
  end: (outcome: CallOutcome, reason: string) => void;
  /** Answering machine detection's verdict so far (a machine makes the agent's hang-up `voicemail`). */
  answeredBy?: () => string | undefined;
  /** Validates and stores the task's result (the call recorder's `result`). */
  reportResult?: (result: Record<string, unknown>) => Promise<{ ok: true } | { ok: false; message: string }>;
}

/**
 * The methods the agent may call on the phone participant (the room contract's RPC_METHODS):
 * `hangup` ends the call; `transfer` moves it to a number on TRANSFER_ALLOWLIST; `report_result`
 * stores the task's result once it fits the call's schema. Hangup and transfer answer before the call ends, so the agent is not left waiting for a room that is going away.
 */
export function registerAgentRpc(phone: Pick<PhoneLine, 'registerRpc'>, deps: AgentRpcDeps): void {
  const { config, twilio, log, callSid } = deps;
  phone.registerRpc(RPC_METHODS.hangup, async (data) => {
    const machine = isMachineVerdict(deps.answeredBy?.());
    log.info({ agent: data.callerIdentity, machine }, 'agent hung up');
    setTimeout(() => deps.end(machine ? 'voicemail' : 'agent_hung_up', 'hangup rpc'), 0);
    return JSON.stringify(RPC_OK);
  });
  phone.registerRpc(RPC_METHODS.transfer, async (data) => {
    const request = parseRpcPayload(transferRequestSchema, data.payload);
    if (!request.ok) {
      log.warn({ agent: data.callerIdentity, issue: request.issue }, 'transfer payload refused');
      throw new PhoneRpcRefusal(RPC_ERROR_CODES.badPayload, 'transfer payload must be JSON {"to": "+1..."}');
    }
    const { to } = request.value;
    if (!config.transferAllowlist.includes(to)) {
      throw new PhoneRpcRefusal(
        RPC_ERROR_CODES.refused,
        `transfer target ${to} is not in TRANSFER_ALLOWLIST`,
      );
    }
    // With API credentials Twilio is told at once; without, ending the stream makes Twilio ask
    // /twilio/stream-ended, which answers with the <Dial>.
    if (twilio.canControlCalls) await twilio.transfer(callSid, to);
    deps.onTransferred(to);
    log.info({ callee: to }, 'call transferred');
    setTimeout(() => deps.end('transferred', 'transfer rpc'), 0);
    return JSON.stringify(RPC_OK);
  });
  phone.registerRpc(RPC_METHODS.reportResult, async (data) => {
    const request = parseRpcPayload(resultReportSchema, data.payload);
    if (!request.ok)
      throw new PhoneRpcRefusal(
        RPC_ERROR_CODES.badPayload,
        'report_result payload must be JSON {"result": {…}}',
      );
    const verdict = deps.reportResult
      ? await deps.reportResult(request.value.result)
      : { ok: false as const, message: 'this bridge does not record results' };
    if (!verdict.ok) {
      log.warn({ agent: data.callerIdentity, issue: verdict.message }, 'task result refused');
      throw new PhoneRpcRefusal(RPC_ERROR_CODES.badPayload, verdict.message);
    }
    log.info({ agent: data.callerIdentity }, 'task result recorded');
    return JSON.stringify(RPC_OK);
  });
}
