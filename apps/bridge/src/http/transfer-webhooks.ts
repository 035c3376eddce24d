/**
 * Twilio's requests during a warm transfer (see calls/transfer.ts): the whisper the human hears
 * (`<Number url>`), their answer to it (`<Gather action>` or the whisper's `<Redirect>`), and the
 * `<Dial action>` when the dial ends. All signed, like every webhook (the guard checks the
 * signature over the full URL, query included, so `call` and `attempt` cannot be forged).
 */
import {
  CallSidSchema,
  dialTwiml,
  emptyTwiml,
  hangupTwiml,
  parseDialAction,
  parseGatherResult,
  parseVoiceWebhook,
  sayAndHangupTwiml,
  whisperTwiml,
} from '@callbridge/twilio-media';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { CallEntry, CallRegistry } from '../calls/registry.js';
import { dialOutcome, type CallTransfer } from '../calls/transfer.js';
import type { BridgeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import type { CallRecorder } from '../records/call-recorder.js';
import { connectCallTwiml } from './connect-twiml.js';

const DEFAULT_SUMMARY = 'You have a call transferred from the virtual assistant.';
const CONFIRM_PROMPT = 'Press 1 to take the call. Or hang up, and the caller goes back to the assistant.';
const DECLINED = 'The call was not accepted. Goodbye.';
const ACCEPT_KEY = '1';
const CONFIRM_TIMEOUT_S = 10;

const querySchema = z.object({
  call: CallSidSchema,
  attempt: z.coerce.number().int().positive(),
});

export interface TransferWebhookDeps {
  config: BridgeConfig;
  registry: CallRegistry;
  metrics: BridgeMetrics;
  log: Logger;
  guard: RequestHandler[];
  recorder: CallRecorder;
}

/** What /twilio/stream-ended answers while a transfer is dialing: the `<Dial>` with its whisper. */
export function transferDialTwiml(config: BridgeConfig, callSid: string, transfer: CallTransfer): string {
  const query = `call=${callSid}&attempt=${transfer.attempt}`;
  return dialTwiml(transfer.to, {
    timeoutSeconds: config.transfer.ringTimeoutS,
    action: `${config.publicUrl}/twilio/transfer/dial-ended?${query}`,
    whisperUrl: `${config.publicUrl}/twilio/transfer/whisper?${query}`,
  });
}

export function transferWebhooks(deps: TransferWebhookDeps): Router {
  const { config, registry, metrics, log, guard, recorder } = deps;
  const router = Router();

  /** The call and transfer a request names, if that transfer is still the call's latest. */
  const lookup = (req: Request, res: Response) => {
    res.type('text/xml');
    const query = querySchema.safeParse(req.query);
    if (!query.success) {
      metrics.rejected.inc({ reason: 'invalid_webhook' });
      res.status(400).type('text/plain').send('transfer requests carry call=CA… and attempt=N');
      return undefined;
    }
    const call = registry.get(query.data.call);
    const transfer = call?.transfer;
    if (!call || !transfer || transfer.attempt !== query.data.attempt)
      return { call: undefined, transfer: undefined };
    return { call, transfer };
  };

  // The human answered: they hear the agent's summary (never the caller), then accept or not.
  router.post('/whisper', ...guard, (req, res) => {
    const found = lookup(req, res);
    if (!found) return;
    // The human's leg asks: its own CallSid, the caller's as ParentCallSid.
    const form = parseVoiceWebhook(req.body ?? {});
    if (!form.ok) {
      metrics.rejected.inc({ reason: 'invalid_webhook' });
      return void res.status(400).type('text/plain').send(form.error.message);
    }
    const { call, transfer } = found;
    if (call && form.value.ParentCallSid !== undefined && form.value.ParentCallSid !== call.callSid) {
      metrics.rejected.inc({ reason: 'invalid_webhook' });
      return void res.send(hangupTwiml());
    }
    // A transfer no longer dialing (the caller hung up meanwhile): hang up on the human.
    if (!call || transfer.state !== 'dialing') return void res.send(hangupTwiml());
    const query = `call=${call.callSid}&attempt=${transfer.attempt}`;
    res.send(
      whisperTwiml({
        summary: transfer.summary ?? DEFAULT_SUMMARY,
        answerUrl: `${config.publicUrl}/twilio/transfer/answer?${query}`,
        confirm: config.transfer.confirm
          ? {
              prompt: CONFIRM_PROMPT,
              digit: ACCEPT_KEY,
              timeoutSeconds: CONFIRM_TIMEOUT_S,
              declined: DECLINED,
            }
          : undefined,
      }),
    );
  });

  // The whisper is over: with the accepting key (or without confirmation) the parties connect.
  router.post('/answer', ...guard, (req, res) => {
    const found = lookup(req, res);
    if (!found) return;
    const { call, transfer } = found;
    const form = parseGatherResult(req.body ?? {});
    if (!form.ok) {
      metrics.rejected.inc({ reason: 'invalid_webhook' });
      return void res.status(400).type('text/plain').send(form.error.message);
    }
    if (!call || transfer.state !== 'dialing') return void res.send(hangupTwiml());
    if (config.transfer.confirm && form.value.Digits !== ACCEPT_KEY)
      return void res.send(sayAndHangupTwiml(DECLINED));
    accept(call, transfer);
    res.send(emptyTwiml());
  });

  router.post('/dial-ended', ...guard, (req, res) => {
    const found = lookup(req, res);
    if (!found) return;
    const form = parseDialAction(req.body ?? {});
    if (!form.ok) {
      metrics.rejected.inc({ reason: 'invalid_webhook' });
      return void res.status(400).type('text/plain').send(form.error.message);
    }
    const { call, transfer } = found;
    // The same request again (a retry) for a failure already handled: the same answer.
    if (call && transfer.state === 'failed' && !call.streamSid)
      return void res.send(connectCallTwiml(config, call.callSid));
    // Accepted earlier (the call is the human's and already ended here), or unknown: we are done.
    if (!call || transfer.state !== 'dialing') return void res.send(hangupTwiml());
    const callLog = log.child({ callSid: call.callSid });
    const outcome = dialOutcome(form.value, false);
    callLog.info(
      { dialCallStatus: form.value.DialCallStatus, bridged: form.value.DialBridged },
      'transfer dial ended',
    );
    if (outcome.kind === 'caller_gone') {
      void call.end?.('caller_hung_up', 'caller hung up during the transfer');
      return void res.send(hangupTwiml());
    }
    if (outcome.kind === 'connected') {
      accept(call, transfer);
      return void res.send(hangupTwiml());
    }
    transfer.state = 'failed';
    transfer.reason = outcome.reason;
    metrics.transfers.inc({ result: outcome.reason });
    void recorder.transferStep(call.callSid, 'transfer-failed', outcome.reason);
    // Back to the agent: a new stream into the same room (the session still holds it).
    registry.armStreamTimer(call, config.streamStartTimeoutMs, () => {
      callLog.warn('Twilio never opened the stream after a failed transfer; ending the call');
      void call.end?.('no_stream', 'no stream after a failed transfer');
    });
    res.send(connectCallTwiml(config, call.callSid));
  });

  /** The human took the call: it is theirs now; the record ends `transferred`, the room goes. */
  function accept(call: CallEntry, transfer: CallTransfer): void {
    log.info({ callSid: call.callSid, attempt: transfer.attempt }, 'transfer accepted');
    transfer.state = 'accepted';
    metrics.transfers.inc({ result: 'accepted' });
    void recorder.transferStep(call.callSid, 'transfer-accepted', `attempt ${transfer.attempt}`);
    void call.end?.('transferred', 'transfer accepted');
  }

  return router;
}
