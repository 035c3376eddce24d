import {
  connectStreamTwiml,
  createStreamToken,
  parseStatusCallback,
  parseVoiceWebhook,
  sayAndHangupTwiml,
} from '@callbridge/twilio-media';
import { Router, type RequestHandler } from 'express';
import type { CallRegistry } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import { roomNameFor, type CallRooms } from '../livekit/call-rooms.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';

const ENDED_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export function twilioWebhooks(deps: {
  config: BridgeConfig;
  rooms: CallRooms;
  registry: CallRegistry;
  metrics: BridgeMetrics;
  log: Logger;
  /** Runs before each webhook: body parsing and the signature check. */
  guard: RequestHandler[];
}): Router {
  const { config, rooms, registry, metrics, log, guard } = deps;
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
    const existing = registry.get(form.CallSid);
    if (!existing && !registry.hasCapacity()) {
      metrics.rejected.inc({ reason: registry.draining ? 'draining' : 'capacity' });
      metrics.callsEnded.inc({ outcome: 'busy_rejected' });
      callLog.warn(
        { active: registry.active, max: registry.maxConcurrentCalls },
        'call refused: at capacity',
      );
      res.send(sayAndHangupTwiml(config.busyMessage));
      return;
    }
    const direction = form.Direction === 'inbound' ? 'inbound' : 'outbound';
    const room = roomNameFor(form.CallSid);
    // Twilio retries a webhook that timed out: answer the same call again without a second room.
    if (!existing) {
      const context = { callSid: form.CallSid, direction, from: form.From, to: form.To } as const;
      registry.add({ ...context, room, answeredAt: Date.now() });
      metrics.activeCalls.set(registry.active);
      try {
        await rooms.createCallRoom(room, context);
        await rooms.dispatchAgent(room, config.agentName, context);
      } catch (err) {
        registry.remove(form.CallSid);
        metrics.activeCalls.set(registry.active);
        metrics.callsEnded.inc({ outcome: 'failed' });
        callLog.error({ err: (err as Error).message }, 'could not set up the call room');
        await rooms.deleteRoom(room).catch(() => undefined);
        res.send(sayAndHangupTwiml(config.errorMessage));
        return;
      }
      const entry = registry.get(form.CallSid);
      if (entry) {
        entry.streamTimer = setTimeout(() => {
          if (entry.streamSid) return;
          callLog.warn('Twilio never opened the media stream; releasing the call');
          registry.remove(entry.callSid);
          metrics.activeCalls.set(registry.active);
          metrics.callsEnded.inc({ outcome: 'no_stream' });
          void rooms.deleteRoom(room).catch(() => undefined);
        }, config.streamStartTimeoutMs);
        entry.streamTimer.unref();
      }
      callLog.info({ room, direction, caller: form.From, callee: form.To }, 'call answered');
    }
    const streamToken = createStreamToken({
      secret: config.streamToken.secret,
      callSid: form.CallSid,
      ttlMs: config.streamToken.ttlMs,
    });
    res.send(
      connectStreamTwiml({
        streamUrl: config.streamUrl,
        parameters: { callSid: form.CallSid, streamToken },
      }),
    );
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
      call.lastStatus = status.CallStatus;
      if (ENDED_STATUSES.has(status.CallStatus)) {
        if (call.end) await call.end('caller_hung_up', `status ${status.CallStatus}`);
        else {
          registry.remove(call.callSid);
          metrics.activeCalls.set(registry.active);
          metrics.callsEnded.inc({
            outcome: status.CallStatus === 'completed' ? 'caller_hung_up' : 'failed',
          });
          await rooms.deleteRoom(call.room).catch(() => undefined);
        }
      }
    }
    res.status(204).end();
  });

  return router;
}
