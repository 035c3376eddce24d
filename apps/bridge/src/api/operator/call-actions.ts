import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CallLifecycle } from '../../calls/call-lifecycle.js';
import type { CallEntry, CallRegistry } from '../../calls/registry.js';
import { roomNameFor } from '../../livekit/call-rooms.js';
import { operatorToken, type OperatorMode } from '../../livekit/operator-token.js';
import { PhoneRpcRefusal } from '../../livekit/phone-line.js';
import type { Logger } from '../../logger.js';
import type { CallRecorder } from '../../records/call-recorder.js';
import type { CallStore } from '../../records/call-store.js';
import type { CallRecord } from '../../records/schema.js';
import {
  FORWARD_TIMEOUT_MS,
  type ActionForwarding,
  type CarrierReply,
  type ForwardedAction,
  type ForwardedCommand,
} from './forwarding.js';

export interface CallActionDeps {
  registry: CallRegistry;
  lifecycle: CallLifecycle;
  recorder: CallRecorder;
  store: Promise<CallStore>;
  log: Logger;
  livekit: { apiKey: string; apiSecret: string };
  /** The LiveKit URL browsers connect to. */
  browserLivekitUrl: string;
  listenTokenTtlS: number;
  /** With bridges sharing PostgreSQL: actions on calls another instance carries go to it. */
  forwarding?: ActionForwarding;
  /** This instance's BRIDGE_INSTANCE_ID (the carrier a call's record names). */
  instanceId: string;
}

/** An action's answer: the JSON to send, or a refusal with its status and code. */
export type ActionResult =
  { ok: true; body: Record<string, unknown> } | { ok: false; status: number; code: string; message: string };

const refusal = (status: number, code: string, message: string): ActionResult => ({
  ok: false,
  status,
  code,
  message,
});

const ended = (sid: string, outcome: string | null) =>
  refusal(409, 'call_ended', `call ${sid} has already ended${outcome ? ` (${outcome})` : ''}; nothing to do`);

export const transferBody = z.object({
  to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'to must be an E.164 number, e.g. +15551234567'),
});
export const tokenBody = z.object({ mode: z.enum(['listen', 'takeover']).default('listen') }).strict();

/**
 * What an operator can do to an active call. Each action is written into the call's record (who,
 * what, when, and whether it worked), refusals included.
 */
export class CallActions {
  constructor(private readonly deps: CallActionDeps) {
    deps.forwarding?.serve((command) => this.carryOut(command));
  }

  /**
   * A call this instance holds, or why not: it ended (409), never existed (404), or, with bridges
   * sharing the records, the unfinished record of a call another instance carries.
   */
  private async active(sid: string): Promise<CallEntry | ActionResult | { elsewhere: CallRecord }> {
    const call = this.deps.registry.get(sid);
    if (call) return call;
    const record = await (await this.deps.store).get(sid);
    if (!record) return refusal(404, 'not_found', `no call ${sid} on this bridge`);
    // Without shared records an unfinished record is one a stopped run left (marked at start).
    if (record.outcome === null && this.deps.forwarding) return { elsewhere: record };
    return ended(sid, record.outcome);
  }

  private async record(sid: string, operator: string, action: string, detail: unknown, r: ActionResult) {
    const result = r.ok ? 'ok' : r.code;
    // Only calls with a record get the entry (an unknown CallSid has nowhere to write it).
    if (r.ok || r.code !== 'not_found') {
      await this.deps.recorder.operatorAction(sid, { operator, action, detail, result, at: Date.now() });
    }
    this.deps.log.info({ callSid: sid, operator, action, result }, 'operator action');
    return r;
  }

  async end(sid: string, operator: string): Promise<ActionResult> {
    const call = await this.active(sid);
    if ('elsewhere' in call) return this.forward(call.elsewhere, operator, { action: 'end' });
    if (!('room' in call)) return this.record(sid, operator, 'end', null, call);
    return this.endHere(call, operator);
  }

  private async endHere(call: CallEntry, operator: string): Promise<ActionResult> {
    const sid = call.callSid;
    // Written first: the record's ending follows the action that caused it.
    await this.deps.recorder.operatorAction(sid, {
      ...{ operator, action: 'end', detail: null, result: 'ok', at: Date.now() },
    });
    this.deps.log.info({ callSid: sid, operator }, 'operator ended the call');
    const reason = `ended by operator ${operator}`;
    if (call.end) await call.end('operator_ended', reason);
    else await this.deps.lifecycle.releaseCall(call, 'operator_ended', reason);
    return { ok: true, body: { sid, outcome: 'operator_ended' } };
  }

  async transfer(sid: string, operator: string, to: string): Promise<ActionResult> {
    const call = await this.active(sid);
    if ('elsewhere' in call) return this.forward(call.elsewhere, operator, { action: 'transfer', to });
    if (!('room' in call)) return this.record(sid, operator, 'transfer', { to }, call);
    return this.transferHere(call, operator, to);
  }

  private async transferHere(call: CallEntry, operator: string, to: string): Promise<ActionResult> {
    const sid = call.callSid;
    if (!call.operatorTransfer) {
      const r = refusal(
        409,
        'not_live',
        'the call is not connected to the bridge yet; try again in a moment',
      );
      return this.record(sid, operator, 'transfer', { to }, r);
    }
    try {
      await call.operatorTransfer(to);
    } catch (err) {
      const r =
        err instanceof PhoneRpcRefusal
          ? refusal(403, 'transfer_not_allowed', err.message)
          : refusal(409, 'transfer_failed', `the transfer could not start: ${(err as Error).message}`);
      return this.record(sid, operator, 'transfer', { to }, r);
    }
    return this.record(sid, operator, 'transfer', { to }, { ok: true, body: { sid, transferred_to: to } });
  }

  /** A forwarded command addressed to this instance: carried out if the call is here. */
  private async carryOut(command: ForwardedCommand): Promise<CarrierReply> {
    const call = this.deps.registry.get(command.sid);
    if (!call) return { carried: false };
    this.deps.log.info({ callSid: command.sid, action: command.do.action }, 'forwarded operator action');
    const result =
      command.do.action === 'end'
        ? await this.endHere(call, command.operator)
        : await this.transferHere(call, command.operator, command.do.to);
    return { carried: true, result };
  }

  /**
   * The call is carried by the instance its record names: that instance carries the action out
   * (and records it). A carrier that lost the call meanwhile (a stream reconnected elsewhere) says
   * so, and the record is read again once; a carrier that does not answer has likely stopped.
   */
  private async forward(
    record: CallRecord,
    operator: string,
    action: ForwardedAction,
  ): Promise<ActionResult> {
    const { forwarding, instanceId, store } = this.deps;
    const sid = record.callSid;
    const detail = action.action === 'transfer' ? { to: action.to } : null;
    let carrier = record.instanceId;
    for (let attempt = 0; attempt < 2 && carrier !== instanceId; attempt++) {
      const out = await forwarding!.forward(carrier, sid, operator, action);
      if (out.type === 'reply' && out.reply.carried) return out.reply.result; // recorded by the carrier
      if (out.type === 'unsent') {
        const r = refusal(
          503,
          'bus_unavailable',
          'cannot reach the other bridges now; try again in a moment',
        );
        return this.record(sid, operator, action.action, detail, r);
      }
      if (out.type === 'timeout') {
        const r = refusal(
          504,
          'carrier_unreachable',
          `call ${sid} is carried by bridge instance ${carrier}, which did not answer within ` +
            `${FORWARD_TIMEOUT_MS / 1000} s: it may have stopped (Twilio then reconnects the caller ` +
            'through another instance within seconds); try again',
        );
        return this.record(sid, operator, action.action, detail, r);
      }
      // Not carried there any more: here now, ended, or moved on to another instance.
      if (this.deps.registry.get(sid))
        return action.action === 'end' ? this.end(sid, operator) : this.transfer(sid, operator, action.to);
      const now = await (await store).get(sid);
      if (now?.outcome) return this.record(sid, operator, action.action, detail, ended(sid, now.outcome));
      if (!now || now.instanceId === carrier) break;
      carrier = now.instanceId;
    }
    const r = refusal(
      503,
      'not_live',
      `call ${sid} is between bridge instances (its stream is being reconnected); try again in a moment`,
    );
    return this.record(sid, operator, action.action, detail, r);
  }

  /** A short-lived LiveKit token for this call's room only: hidden listener or take-over. */
  async token(sid: string, operator: string, mode: OperatorMode): Promise<ActionResult> {
    const found = await this.active(sid);
    // LiveKit carries the operator's audio: the room is all it takes, whichever instance carries the call.
    const call = 'elsewhere' in found ? { room: found.elsewhere.room ?? roomNameFor(sid) } : found;
    if (!('room' in call)) return this.record(sid, operator, mode, null, call);
    const identity = `operator-${operator}-${randomBytes(3).toString('hex')}`;
    const ttlS = this.deps.listenTokenTtlS;
    const token = await operatorToken(this.deps.livekit, {
      ...{ room: call.room, identity, name: operator, mode, ttlS },
    });
    const body = {
      ...{ url: this.deps.browserLivekitUrl, token, room: call.room, identity, mode },
      expires_at: new Date(Date.now() + ttlS * 1000).toISOString(),
    };
    return this.record(sid, operator, mode, { identity }, { ok: true, body });
  }
}
