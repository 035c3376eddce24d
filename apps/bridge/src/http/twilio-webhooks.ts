import {
  hangupTwiml,
  parseAmdStatusCallback,
  parseStatusCallback,
  parseVoiceWebhook,
  sayAndHangupTwiml,
} from '@callbridge/twilio-media';
import type { DispatchMetadata } from '@callbridge/room-contract';
import { Router, type RequestHandler } from 'express';
import type { Admission } from '../calls/admission-probes.js';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { CallOutcome } from '../calls/outcomes.js';
import type { CallRegistry } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import { waitForAgentReady } from '../livekit/agent-ready.js';
import { roomNameFor, type CallRooms } from '../livekit/call-rooms.js';
import type { EarlyPhones } from '../livekit/early-phone.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import { afterForeignStream } from '../calls/failover.js';
import { onStreamTimeout } from '../calls/shared-calls.js';
import { outboundDispatchFields } from '../outbound/dispatch-fields.js';
import type { CallEventHub } from '../records/call-events.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { CallStore } from '../records/call-store.js';
import { connectCallTwiml } from './connect-twiml.js';
import { transferDialTwiml } from './transfer-webhooks.js';
import { routeDispatchFields, routeForLog, routeOfCall } from '../routing/call-routes.js';

const ENDED_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
/** Endings after which the caller is simply hung up on (no apology). */
const HANGS_UP = new Set<CallOutcome>([
  'agent_hung_up',
  'caller_hung_up',
  'room_deleted',
  'transferred',
  'voicemail',
  'operator_ended',
]);

export function twilioWebhooks(deps: {
  config: BridgeConfig;
  rooms: CallRooms;
  registry: CallRegistry;
  metrics: BridgeMetrics;
  log: Logger;
  /** Runs before each webhook: body parsing and the signature check. */
  guard: RequestHandler[];
  recorder: CallRecorder;
  store: Promise<CallStore>;
  lifecycle: CallLifecycle;
  admission: Admission;
  /** Call events of every instance (a stream's carrier recording its ending). */
  hub: Pick<CallEventHub, 'subscribe'>;
  /** Phones that join their call's room while it rings (PHONE_JOIN_WHILE_RINGING). */
  earlyPhones?: Pick<EarlyPhones, 'start'>;
}): Router {
  const { config, rooms, registry, metrics, log, guard, recorder, lifecycle } = deps;
  const shared = { registry, lifecycle, store: deps.store, rooms, recorder, log };
  const router = Router();

  router.post('/voice', ...guard, async (req, res) => {
    const parsed = parseVoiceWebhook(req.body ?? {});
    if (!parsed.ok) {
      metrics.rejected.inc({ reason: 'invalid_webhook' });
      log.warn({ detail: parsed.error.message }, 'voice webhook refused');
      res.status(400).type('text/plain').send(parsed.error.message);
      return;
    }
    const form = parsed.value;
    const callLog = log.child({ callSid: form.CallSid });
    res.type('text/xml');
    // Twilio's signatures carry no timestamp: a captured webhook replayed after its call ended
    // would set the call up again (room, agent, stream token). The records remember every call
    // that ended, across restarts and instances, so such a request is refused.
    if (!registry.get(form.CallSid) && (await callEnded(deps.store, form.CallSid, callLog))) {
      metrics.rejected.inc({ reason: 'call_already_ended' });
      callLog.warn('voice webhook for a call that already ended refused (replayed?)');
      res.send(hangupTwiml());
      return;
    }
    const existing = registry.get(form.CallSid);
    // Over the hard cap, or (inbound calls) while measured health holds new calls off. A call the
    // API placed is answered while saturated: its callee already picked up.
    const refusal = existing ? undefined : deps.admission.refusal({ adaptive: form.Direction === 'inbound' });
    if (refusal) {
      const saturated = refusal.signals.length > 0;
      metrics.rejected.inc({ reason: saturated ? 'saturated' : refusal.reason });
      deps.admission.refused(refusal, 'webhook');
      metrics.callsEnded.inc({ outcome: 'busy_rejected' });
      callLog.warn(
        { active: registry.active, max: registry.maxConcurrentCalls, reason: refusal.reason },
        saturated ? 'call refused: saturated' : 'call refused: at capacity',
      );
      const direction = form.Direction === 'inbound' ? 'inbound' : 'outbound';
      const call = { callSid: form.CallSid, direction, from: form.From, to: form.To } as const;
      const detail = saturated
        ? `saturated (${refusal.signals.join(', ')})`
        : refusal.reason === 'draining'
          ? 'draining'
          : 'at capacity';
      void recorder.refused(call, 'busy_rejected', detail);
      res.send(sayAndHangupTwiml(config.busyMessage));
      return;
    }
    const direction = form.Direction === 'inbound' ? 'inbound' : 'outbound';
    const room = roomNameFor(form.CallSid);
    // Twilio retries a webhook that timed out: answer the same call again without a second room.
    if (!existing) {
      const context = { callSid: form.CallSid, direction, from: form.From, to: form.To } as const;
      const entry = lifecycle.answer(context, room);
      let recorded: Promise<void> = Promise.resolve();
      try {
        // An outbound call we placed carries its task to the agent (read before the webhook's own
        // write, which would otherwise create a record without it).
        const task =
          form.Direction === 'outbound-api'
            ? await outboundDispatchFields(deps.store, form.CallSid, config.outbound)
            : {};
        // Synchronous answering machine detection's verdict comes with the webhook of an outbound
        // call (asynchronous detection's comes later, to /twilio/amd).
        const answeredBy = (req.body as Record<string, unknown>).AnsweredBy;
        if (typeof answeredBy === 'string' && answeredBy) entry.answeredBy = answeredBy.slice(0, 40);
        // Awaited before the answer (below): the instance that gets the stream reads the call from it.
        recorded = recorder.webhookAnswered(
          { ...context, room },
          typeof answeredBy === 'string' ? answeredBy : undefined,
        );
        await rooms.createCallRoom(room, context);
        // ROUTES_FILE: the persona of the number called (docs/routing.md); the request's fields win.
        const route = config.routes && routeOfCall(config.routes, context, task.route);
        entry.route = route;
        if (route) {
          void recorder.routed(form.CallSid, route.name);
          callLog.info({ route: routeForLog(route), agent: route.agent }, 'call routed');
        }
        await rooms.dispatchAgent(room, route?.agent ?? config.agentName, {
          ...context,
          ...routeDispatchFields(route),
          ...task,
        } satisfies DispatchMetadata);
        // The phone joins now, while the caller hears ringing: only the audio waits for the stream.
        deps.earlyPhones?.start({ ...context, room, answeredBy: entry.answeredBy });
      } catch (err) {
        callLog.error({ err: (err as Error).message }, 'could not set up the call room');
        await lifecycle.releaseCall(entry, 'failed', 'could not set up the call room');
        res.send(sayAndHangupTwiml(config.errorMessage));
        return;
      }
      // Ends the call only if its stream started on no instance (shared-calls.ts).
      registry.armStreamTimer(entry, config.streamStartTimeoutMs, () => void onStreamTimeout(shared, entry));
      await recorded;
      callLog.info({ room, direction, caller: form.From, callee: form.To }, 'call answered');
      // An inbound caller hears ringing until our reply: ring on while the agent comes up, so the
      // greeting follows the answer instead of silence. (An outbound callee already picked up.)
      if (direction === 'inbound' && config.answerWaitForAgentMs > 0) {
        const t0 = performance.now();
        const readiness = await waitForAgentReady((r) => rooms.agentStates(r), room, {
          timeoutMs: config.answerWaitForAgentMs,
          cancelled: () => registry.get(form.CallSid) !== entry,
        });
        const waitedMs = Math.round(performance.now() - t0);
        metrics.answerWaitSeconds.observe({ readiness }, waitedMs / 1000);
        callLog.info({ readiness, waitedMs }, 'answering');
        // The caller gave up while it rang (Twilio's status callback ended the call meanwhile).
        if (readiness === 'cancelled') return void res.send(hangupTwiml());
      }
    }
    res.send(connectCallTwiml(config, form.CallSid, { sayFirst: config.recordings.notice }));
  });

  // Twilio continues after <Connect> when the stream closes with the call still up: decide then.
  router.post('/stream-ended', ...guard, async (req, res) => {
    const parsed = parseVoiceWebhook(req.body ?? {});
    if (!parsed.ok) {
      metrics.rejected.inc({ reason: 'invalid_webhook' });
      res.status(400).type('text/plain').send(parsed.error.message);
      return;
    }
    const callSid = parsed.value.CallSid;
    const entry = registry.get(callSid);
    // The agent asked for a transfer: the stream ended for it, the caller hears ringing now.
    if (entry?.transfer?.state === 'dialing' && !entry.streamSid) {
      log.info({ callSid, attempt: entry.transfer.attempt }, 'stream ended for a transfer: dialing');
      return void res.type('text/xml').send(transferDialTwiml(config, callSid, entry.transfer));
    }
    // Twilio asks this only after the stream ended. If we have not seen its socket close yet (the
    // request overtook the close), the stream dropped: end the call for that reason now, so the
    // outcome does not depend on which of the two arrived first.
    const streaming = entry;
    if (streaming?.end && !registry.hasEnding(callSid))
      void streaming.end('stream_dropped', 'Twilio reports the stream ended');
    // Not this instance's stream: its carrier ended the call, or died with it (then reconnect).
    let ending = registry.takeEnding(callSid);
    if (!entry && !ending) {
      const decision = await afterForeignStream({ ...shared, hub: deps.hub }, callSid);
      if (decision.reconnect) return void res.type('text/xml').send(connectCallTwiml(config, callSid));
      if (decision.outcome) ending = { outcome: decision.outcome, atMs: Date.now() };
    }
    log.info({ callSid, outcome: ending?.outcome ?? 'unknown' }, 'stream ended, call still up');
    res.type('text/xml');
    if (ending && HANGS_UP.has(ending.outcome)) return void res.send(hangupTwiml());
    // Anything else is a failure on our side: tell the caller rather than leave them in silence.
    const message = ending?.outcome === 'agent_lost' ? config.agentLostMessage : config.errorMessage;
    res.send(sayAndHangupTwiml(message));
  });

  // Asynchronous answering machine detection's verdict, mid-call: recorded, and relayed to the agent
  // through the phone participant's `callbridge.answeredBy` attribute.
  router.post('/amd', ...guard, async (req, res) => {
    const parsed = parseAmdStatusCallback(req.body ?? {});
    if (!parsed.ok) {
      metrics.rejected.inc({ reason: 'invalid_amd_callback' });
      res.status(400).type('text/plain').send(parsed.error.message);
      return;
    }
    const { CallSid: callSid, AnsweredBy: verdict, MachineDetectionDuration: took } = parsed.value;
    const call = registry.get(callSid);
    log.info(
      { callSid, answeredBy: verdict, detectionMs: took, live: Boolean(call) },
      'machine detection verdict',
    );
    if (call) {
      call.answeredBy = verdict;
      call.onAnsweredBy?.(verdict);
    }
    await recorder.answeredBy(callSid, verdict, took === undefined ? null : Number(took));
    res.status(204).end();
  });

  router.post('/status', ...guard, async (req, res) => {
    const parsed = parseStatusCallback(req.body ?? {});
    if (!parsed.ok) {
      metrics.rejected.inc({ reason: 'invalid_status_callback' });
      res.status(400).type('text/plain').send(parsed.error.message);
      return;
    }
    const status = parsed.value;
    const call = registry.get(status.CallSid);
    log.info({ callSid: status.CallSid, status: status.CallStatus, known: Boolean(call) }, 'call status');
    if (call) {
      registry.noteStatus(call, status.CallStatus);
      if (ENDED_STATUSES.has(status.CallStatus)) {
        const reason = `status ${status.CallStatus}`;
        if (call.end) await call.end('caller_hung_up', reason);
        else
          await lifecycle.releaseCall(
            call,
            status.CallStatus === 'completed' ? 'caller_hung_up' : 'failed',
            reason,
          );
      }
    }
    // After the call's own ending (queued first), so the bridge's outcome wins over `completed`.
    const answeredBy = (req.body as Record<string, unknown>).AnsweredBy;
    await recorder.twilioStatus(status.CallSid, status.CallStatus, {
      answeredBy: typeof answeredBy === 'string' ? answeredBy.slice(0, 40) : undefined,
    });
    res.status(204).end();
  });

  return router;
}

/** Whether the records hold an ending for this call (a store that cannot answer says no, logged). */
async function callEnded(store: Promise<CallStore>, callSid: string, log: Logger): Promise<boolean> {
  try {
    const record = await (await store).get(callSid);
    return record?.outcome != null;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'call records unavailable: cannot tell a replayed webhook');
    return false;
  }
}
