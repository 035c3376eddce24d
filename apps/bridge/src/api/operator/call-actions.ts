import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CallLifecycle } from '../../calls/call-lifecycle.js';
import type { CallEntry, CallRegistry } from '../../calls/registry.js';
import { operatorToken, type OperatorMode } from '../../livekit/operator-token.js';
import { PhoneRpcRefusal } from '../../livekit/phone-line.js';
import type { Logger } from '../../logger.js';
import type { CallRecorder } from '../../records/call-recorder.js';
import type { CallStore } from '../../records/call-store.js';

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

export const transferBody = z.object({
  to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'to must be an E.164 number, e.g. +15551234567'),
});
export const tokenBody = z.object({ mode: z.enum(['listen', 'takeover']).default('listen') }).strict();

/**
 * What an operator can do to an active call. Each action is written into the call's record (who,
 * what, when, and whether it worked), refusals included.
 */
export class CallActions {
  constructor(private readonly deps: CallActionDeps) {}

  /** The live call, or a refusal saying the call ended (409) or never existed (404). */
  private async active(sid: string): Promise<CallEntry | ActionResult> {
    const call = this.deps.registry.get(sid);
    if (call) return call;
    const record = await (await this.deps.store).get(sid);
    if (!record) return refusal(404, 'not_found', `no call ${sid} on this bridge`);
    return refusal(
      409,
      'call_ended',
      `call ${sid} has already ended${record.outcome ? ` (${record.outcome})` : ''}; nothing to do`,
    );
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
    if (!('room' in call)) return this.record(sid, operator, 'end', null, call);
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
    if (!('room' in call)) return this.record(sid, operator, 'transfer', { to }, call);
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

  /** A short-lived LiveKit token for this call's room only: hidden listener or take-over. */
  async token(sid: string, operator: string, mode: OperatorMode): Promise<ActionResult> {
    const call = await this.active(sid);
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
