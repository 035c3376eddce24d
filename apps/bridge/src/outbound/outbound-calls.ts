import { resultSchemaSchema, voicemailPlanSchema } from '@callbridge/room-contract';
import { z } from 'zod';
import { CallbackTargetRefused, checkCallbackUrl } from '../callbacks/url-guard.js';
import type { BridgeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { CallEventHub } from '../records/call-events.js';
import type { CallStore } from '../records/call-store.js';
import type { CallRecord } from '../records/schema.js';
import {
  routeForLog,
  routeForNumber,
  routeNamed,
  routeNames,
  type CallRoute,
} from '../routing/call-routes.js';
import { isAllowedDestination } from './allowlist.js';
import { checkOutboundLimits } from './rate-limits.js';
import type { TwilioCallError } from './twilio-calls.js';
import { type TwilioCalls } from './twilio-calls.js';

/** `POST /api/calls` body. Unknown fields are refused so a typo (`instruction`) is not silently dropped. */
export const OutboundRequest = z
  .object({
    to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'to must be an E.164 number like +15551234567'),
    task: z.string().trim().min(1, 'task must say what the call is for').max(4000),
    instructions: z.string().max(20_000).optional(),
    voice: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'voice must be a voice name like "marin"')
      .optional(),
    metadata: z
      .record(z.string(), z.unknown())
      .refine((m) => JSON.stringify(m).length <= 8192, 'metadata must be at most 8 KB of JSON')
      .optional(),
    /** The shape of the task's result: a JSON Schema subset (README, "Task results"). */
    result_schema: resultSchemaSchema.optional(),
    /** Where the result is POSTed when the call ends (https, a host on CALLBACK_ALLOWED_HOSTS). */
    callback_url: z.string().max(2048).optional(),
    /** When a machine answers: `{action: "leave_message"|"hang_up", message?}`; default VOICEMAIL_*. */
    voicemail: voicemailPlanSchema.strict().optional(),
    /** The ROUTES_FILE route (its name, its number or "default"): its agent, persona and caller ID. */
    route: z.string().min(1).max(100).optional(),
  })
  .strict();
export type OutboundRequest = z.infer<typeof OutboundRequest>;

/** The advisory lock outbound placement holds while it counts, dials and records. */
const OUTBOUND_LOCK = 'callbridge.outbound';

export type PlaceResult =
  { ok: true; record: CallRecord } | { ok: false; status: number; code: string; message: string };

/**
 * The guardrails and the dial: destination allow-list, rate limits, then Twilio's `calls.create`
 * and the record. Checks and record creation run one request at a time on this instance, and under
 * the database's lock across instances, so two requests cannot both take the last slot of a limit.
 */
export class OutboundCalls {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      config: BridgeConfig;
      store: Promise<CallStore>;
      twilio: TwilioCalls | undefined;
      hub: CallEventHub;
      log: Logger;
    },
  ) {}

  place(body: unknown): Promise<PlaceResult> {
    const run = () => this.placeNow(body);
    const result = this.turn.then(run, run);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async placeNow(body: unknown): Promise<PlaceResult> {
    const { config } = this.deps;
    const outbound = config.outbound;
    if (outbound.allowlist.length === 0 || !this.deps.twilio || !outbound.from) {
      return refuse(
        403,
        'outbound_off',
        'outbound calls are off: set OUTBOUND_ALLOWLIST, OUTBOUND_FROM and the Twilio credentials',
      );
    }
    const parsed = OutboundRequest.safeParse(body);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) =>
        i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message,
      );
      const schemaHelp = parsed.error.issues.some((i) => i.path[0] === 'result_schema')
        ? ` (result_schema supports: {"type":"object","properties":{…},"required":[…]} with properties of type ` +
          'string (enum, minLength, maxLength), number or integer (enum, minimum, maximum), boolean, array of ' +
          'those (items, maxItems) or object (the same rules), each with an optional description)'
        : '';
      return refuse(400, 'invalid_request', detail.join('; ') + schemaHelp);
    }
    const req = parsed.data;
    let callbackUrl: string | null = null;
    if (req.callback_url !== undefined) {
      if (config.callbacks.allowedHosts.length === 0 || !config.callbacks.secret)
        return refuse(
          403,
          'callbacks_off',
          'callbacks are off: set CALLBACK_ALLOWED_HOSTS and CALLBACK_SECRET',
        );
      try {
        callbackUrl = checkCallbackUrl(req.callback_url, config.callbacks).href;
      } catch (err) {
        if (!(err instanceof CallbackTargetRefused)) throw err;
        return refuse(400, 'invalid_callback_url', err.message);
      }
    }
    if (!isAllowedDestination(req.to, outbound.allowlist)) {
      return refuse(403, 'destination_not_allowed', `${req.to} is not in OUTBOUND_ALLOWLIST`);
    }
    // The route: the one named, else the caller ID's (OUTBOUND_FROM). A route with a number calls
    // from it, so the callee sees (and can call back) the line of the persona that calls.
    let route: CallRoute | undefined;
    let from = outbound.from;
    if (req.route !== undefined) {
      if (!config.routes)
        return refuse(400, 'routes_off', 'route needs a routes file: set ROUTES_FILE (docs/routing.md)');
      route = routeNamed(config.routes, req.route);
      if (!route)
        return refuse(
          400,
          'unknown_route',
          `no route "${req.route}" in ROUTES_FILE; routes: ${routeNames(config.routes).join(', ')}`,
        );
      from = route.number ?? from;
    } else if (config.routes) route = routeForNumber(config.routes, from);
    const store = await this.deps.store;
    // Count, dial and write the record as one step among every bridge sharing the database
    // (PostgreSQL: an advisory lock), so two instances cannot both take a limit's last slot.
    const line = { twilio: this.deps.twilio, from, route };
    return store.exclusive(OUTBOUND_LOCK, () => this.dial(store, line, req, callbackUrl));
  }

  private async dial(
    store: CallStore,
    { twilio, from, route }: { twilio: TwilioCalls; from: string; route: CallRoute | undefined },
    req: OutboundRequest,
    callbackUrl: string | null,
  ): Promise<PlaceResult> {
    const { config, log } = this.deps;
    const outbound = config.outbound;
    const refusal = await checkOutboundLimits(store, req.to, outbound.limits);
    if (refusal) return refuse(429, 'rate_limited', refusal.message);

    let placed: { sid: string; status: string };
    try {
      placed = await twilio.create({
        to: req.to,
        from,
        url: `${config.publicUrl}/twilio/voice`,
        statusCallback: `${config.publicUrl}/twilio/status`,
        ringTimeoutS: outbound.ringTimeoutS,
        machineDetection: outbound.machineDetection,
        asyncAmdCallback: outbound.machineDetectionAsync ? `${config.publicUrl}/twilio/amd` : undefined,
      });
    } catch (err) {
      const e = err as TwilioCallError;
      log.warn(
        { callee: req.to, err: e.message, twilioCode: e.twilioCode },
        'outbound call refused by Twilio',
      );
      const code = e.twilioCode ? ` (Twilio error ${e.twilioCode})` : '';
      return refuse(502, 'twilio_error', `Twilio did not place the call: ${e.message}${code}`);
    }
    const now = Date.now();
    await store.create({
      callSid: placed.sid,
      direction: 'outbound',
      from,
      to: req.to,
      instanceId: config.records.instanceId,
      status: 'queued',
      task: req.task,
      instructions: req.instructions ?? null,
      voice: req.voice ?? null,
      metadata: req.metadata ?? null,
      resultSchema: req.result_schema ?? null,
      callbackUrl,
      callbackState: callbackUrl ? 'pending' : null,
      voicemail: req.voicemail ?? null,
      createdAt: now,
      route: route?.name ?? null,
    });
    await store.addStatusEvent(placed.sid, { status: 'queued', detail: 'placed through the API', at: now });
    this.deps.hub.publish({
      type: 'status',
      callSid: placed.sid,
      status: 'queued',
      outcome: null,
      at: now,
      detail: null,
    });
    log.info({ callSid: placed.sid, callee: req.to, route: routeForLog(route) }, 'outbound call placed');
    const record = await store.get(placed.sid);
    return { ok: true, record: record! };
  }
}

function refuse(status: number, code: string, message: string): PlaceResult {
  return { ok: false, status, code, message };
}
