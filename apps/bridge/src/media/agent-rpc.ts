import {
  parseRpcPayload,
  playbackInterruptedRequestSchema,
  RPC_ERROR_CODES,
  RPC_METHODS,
  RPC_OK,
  resultReportSchema,
  transferRequestSchema,
  type PlaybackInterruptedReply,
} from '@callbridge/room-contract';
import type { CallOutcome } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import { PhoneRpcRefusal, type PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import { transferTargetsFor, type CallRoute } from '../routing/call-routes.js';
import type { HeardReport } from './caller-playback.js';
import { isMachineVerdict } from '../results/no-result-reason.js';

export interface AgentRpcDeps {
  config: Pick<BridgeConfig, 'transferAllowlist'>;
  /** The call's ROUTES_FILE route: its `transfer_targets` narrow TRANSFER_ALLOWLIST for this call. */
  route?: CallRoute;
  log: Logger;
  callSid: string;
  /** Starts a warm transfer (allow-list already checked); false if the call cannot be transferred now. */
  transfer: (to: string, summary: string | undefined) => boolean;
  /** The agent was interrupted: clear the caller's playback if needed; what they heard, if cut. */
  interrupted: () => HeardReport | undefined;
  end: (outcome: CallOutcome, reason: string) => void;
  /** Answering machine detection's verdict so far (a machine makes the agent's hang-up `voicemail`). */
  answeredBy?: () => string | undefined;
  /** Validates and stores the task's result (the call recorder's `result`). */
  reportResult?: (result: Record<string, unknown>) => Promise<{ ok: true } | { ok: false; message: string }>;
}

/**
 * The methods the agent may call on the phone participant (the room contract's RPC_METHODS):
 * `hangup` ends the call; `transfer` starts a warm transfer to a number on TRANSFER_ALLOWLIST, or
 * on the `transfer_targets` of the call's route when it has them (the phone stays in the room; `callbridge.transfer` tells how it goes). Both answer at once, so the
 * agent is never left waiting on the phone system. `report_result` stores the task's result once it
 * fits the call's schema. `playbackInterrupted` clears the caller's playback and says how much of
 * the utterance they heard.
 */
export function registerAgentRpc(phone: Pick<PhoneLine, 'registerRpc'>, deps: AgentRpcDeps): void {
  const { config, log } = deps;
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
      throw new PhoneRpcRefusal(
        RPC_ERROR_CODES.badPayload,
        `transfer payload must be JSON {"to": "+1...", "summary"?: "..."} (${request.issue})`,
      );
    }
    const { to, summary } = request.value;
    if (!transferTargetsFor(deps.route, config.transferAllowlist).includes(to)) {
      throw new PhoneRpcRefusal(
        RPC_ERROR_CODES.refused,
        deps.route?.transferTargets
          ? `transfer target ${to} is not in the transfer_targets of this call's route (ROUTES_FILE)`
          : `transfer target ${to} is not in TRANSFER_ALLOWLIST`,
      );
    }
    if (!deps.transfer(to, summary)) {
      throw new PhoneRpcRefusal(RPC_ERROR_CODES.refused, 'the call cannot be transferred right now');
    }
    log.info({ callee: to, summary: summary !== undefined }, 'transfer dialing');
    return JSON.stringify(RPC_OK);
  });
  phone.registerRpc(RPC_METHODS.playbackInterrupted, async (data) => {
    const request = parseRpcPayload(playbackInterruptedRequestSchema, data.payload);
    const report = deps.interrupted();
    const reply: PlaybackInterruptedReply = report
      ? { cut: true, heardMs: report.heardMs, sentMs: report.sentMs }
      : { cut: false };
    log.info(
      { agentPlayedMs: request.ok ? request.value.playedMs : undefined, ...reply },
      'agent interrupted: what the caller heard',
    );
    return JSON.stringify(reply);
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
