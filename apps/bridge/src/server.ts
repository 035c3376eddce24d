import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode, SIGNATURE_HEADER, validateStreamUpgradeSignature } from '@callbridge/twilio-media';
import express, { type NextFunction, type Request, type Response } from 'express';
import expressWs from 'express-ws';
import { callsApi } from './api/calls-router.js';
import { CallbackDelivery } from './callbacks/delivery.js';
import { ActionForwarding } from './api/operator/forwarding.js';
import { operatorApi } from './api/operator/router.js';
import { consoleStatic } from './http/console-static.js';
import { LiveCalls } from './calls/live-calls.js';
import { Admission } from './calls/admission-probes.js';
import { CallLifecycle } from './calls/call-lifecycle.js';
import { CallRegistry } from './calls/registry.js';
import { adoptCall as adoptSharedCall } from './calls/shared-calls.js';
import type { BridgeConfig } from './config.js';
import { opsRoutes } from './http/ops.js';
import { requireTwilioSignature } from './http/twilio-signature.js';
import { transferWebhooks } from './http/transfer-webhooks.js';
import { twilioWebhooks } from './http/twilio-webhooks.js';
import { createCallRooms, type CallRooms } from './livekit/call-rooms.js';
import { EarlyPhones } from './livekit/early-phone.js';
import { newPhoneParticipant } from './livekit/phone-participant.js';
import { createLogger, type Logger } from './logger.js';
import { CallSession, PHONE_BACKLOG } from './media/call-session.js';
import { createMetrics, type BridgeMetrics } from './metrics.js';
import { OutboundCalls } from './outbound/outbound-calls.js';
import { createTwilioCalls } from './outbound/twilio-calls.js';
import { CallEventHub } from './records/call-events.js';
import { CallRecorder } from './records/call-recorder.js';
import type { CallStore } from './records/call-store.js';
import { openPostgresBus } from './records/cluster-bus.js';
import { openCallStore } from './records/open-store.js';
import { openPostgres } from './records/postgres-driver.js';
import { SharedNonces } from './records/shared-nonces.js';
import { shareLiveEvents } from './records/shared-events.js';
import { Recordings } from './recordings/recordings.js';
import { createTwilioControl, type TwilioControl } from './twilio/control.js';

export interface Bridge {
  server: Server;
  /** LiveKit's server API as the calls use it (the start-up warm-up reads through it too). */
  rooms: CallRooms;
  registry: CallRegistry;
  /** Whether new calls are taken: the hard cap and, when adaptive, measured health. */
  admission: Admission;
  metrics: BridgeMetrics;
  log: Logger;
  /** Call records; resolves once the database is open and migrated. */
  store: Promise<CallStore>;
  recorder: CallRecorder;
  /** Result callbacks of ended calls. */
  callbacks: CallbackDelivery;
  /** Active calls as the operator console sees them. */
  live: LiveCalls;
  /** Call recordings (RECORD_CALLS) and their retention. */
  recordings: Recordings;
  /** Starts listening; resolves with the bound port (config.port 0 picks a free one). */
  listen(): Promise<number>;
  /** Stops taking calls (busy TwiML), waits for active calls up to the drain timeout, then ends the rest. */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface BridgeOverrides {
  rooms?: CallRooms;
  twilio?: TwilioControl;
  log?: Logger;
  store?: Promise<CallStore>;
}

/** Composes the bridge: HTTP webhooks, the Media Streams socket, ops endpoints. */
export function createBridge(config: BridgeConfig, overrides: BridgeOverrides = {}): Bridge {
  const log = overrides.log ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const registry = new CallRegistry(config.maxConcurrentCalls);
  const admission = new Admission({ settings: config.admission, registry, metrics, log });
  const rooms = overrides.rooms ?? createCallRooms(config.livekit);
  const twilio = overrides.twilio ?? createTwilioControl(config.twilio);
  const store = overrides.store ?? openCallStore(config.records);
  store.catch(() => undefined); // reported by listen()
  const hub = new CallEventHub();
  const callbacks = new CallbackDelivery({ store, settings: config.callbacks, log });
  const recorder = new CallRecorder(store, hub, log, config.records.instanceId, (callSid) =>
    callbacks.deliver(callSid),
  );
  const recordings = new Recordings(config.recordings, { store, log });
  const { accountSid, authToken, apiBaseUrl } = config.twilio;
  const outbound = new OutboundCalls({
    config,
    store,
    hub,
    log,
    twilio: accountSid && authToken ? createTwilioCalls({ accountSid, authToken, apiBaseUrl }) : undefined,
  });

  const app = express();
  app.disable('x-powered-by');
  const server = createServer(app);
  // Media Streams messages are small JSON; anything past the limit is an attack or a bug.
  const ws = expressWs(app, server, {
    wsOptions: {
      maxPayload: config.maxMessageBytes,
      // Twilio signs the upgrade request over the stream URL; refuse before the socket exists.
      verifyClient: (info, done) => {
        if (!config.twilio.validateSignatures) return done(true);
        const signature = info.req.headers[SIGNATURE_HEADER.toLowerCase()];
        const streamUrl = config.publicUrl.replace(/^http/, 'ws') + (info.req.url ?? '');
        if (!signature) {
          metrics.rejected.inc({ reason: 'ws_signature_missing' });
          return done(false, 400, 'missing signature');
        }
        if (!validateStreamUpgradeSignature({ authToken: config.twilio.authToken!, streamUrl, signature })) {
          metrics.rejected.inc({ reason: 'ws_signature_invalid' });
          log.warn('media socket with a bad signature refused');
          return done(false, 403, 'signature does not match');
        }
        done(true);
      },
    },
  });

  const live = new LiveCalls();
  // Bridges sharing PostgreSQL share their live events (LISTEN/NOTIFY); SQLite means one bridge.
  const bus = config.records.databaseUrl ? openPostgresBus(config.records.databaseUrl, log) : undefined;
  if (bus) shareLiveEvents({ bus, hub, live, store, log });
  // ...and each stream token's single use (its own small pool: the claim is on the stream's start).
  const nonceDb = config.records.databaseUrl ? openPostgres(config.records.databaseUrl) : undefined;
  const nonces = nonceDb && new SharedNonces(nonceDb, store);
  // Phones join their call's room while it rings; the stream's session adopts them.
  const earlyPhones = config.phoneJoinWhileRinging
    ? new EarlyPhones({
        ...{ rooms, newPhoneLine: newPhoneParticipant, readsText: true, log },
        line: { url: config.livekit.url, sampleRate: config.phoneAudioSampleRate, ...PHONE_BACKLOG },
      })
    : undefined;
  const lifecycle = new CallLifecycle({ registry, rooms, metrics, recorder, log, live, hub, earlyPhones });
  const shared = { registry, lifecycle, store, rooms, recorder, log };
  const adoptCall = (callSid: string) => adoptSharedCall(shared, callSid);
  const deps = { config, rooms, registry, metrics, log, twilio, recorder, lifecycle, live, recordings };
  const urlencoded = express.urlencoded({ extended: false, limit: '32kb' });
  // The media socket's upgrade also travels through express-ws's router, so the webhook guard is
  // attached to the webhook routes only.
  const guard = [urlencoded, requireTwilioSignature(config, metrics, log)];
  app.use('/twilio', twilioWebhooks({ ...deps, guard, store, admission, hub, earlyPhones }));
  app.use('/twilio/transfer', transferWebhooks({ ...deps, guard }));
  const operatorAuth = config.console;
  // Actions on a call another instance carries go to it over the bus (api/operator/forwarding.ts).
  const forwarding = bus
    ? new ActionForwarding({
        bus,
        secret: config.streamToken.secret,
        instanceId: config.records.instanceId,
        log,
      })
    : undefined;
  app.use(
    '/api/operator',
    operatorApi({
      ...{ auth: operatorAuth, live, registry, lifecycle, recorder, store, log, forwarding },
      instanceId: config.records.instanceId,
      livekit: config.livekit,
      browserLivekitUrl: config.console.browserLivekitUrl,
      listenTokenTtlS: config.console.listenTokenTtlS,
    }),
  );
  app.use(
    '/api',
    callsApi({
      ...{ apiKeys: config.apiKeys, store, hub, outbound, log, console: operatorAuth, recorder },
      admission,
      recordingOn: config.recordings.enabled,
    }),
  );
  app.use('/console', consoleStatic(config.console.dir));
  app.get('/', (_req, res) => res.redirect(302, '/console/'));
  app.use(opsRoutes({ registry, metrics, admission }));
  // express-ws routes the socket inside ws's 'connection' event, in the same tick (no middleware on
  // this path waits), so the session listens before ws reads the first frame, even one that came
  // with the upgrade. Keep it that way: middleware that defers here would lose `connected`/`start`
  // (bridge.guards.test.ts sends them in the upgrade's own TCP write).
  ws.app.ws('/twilio/media', (socket) => {
    new CallSession(socket, { ...deps, newPhoneLine: newPhoneParticipant, adoptCall, earlyPhones, nonces });
  });
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found');
  });
  // Bodies the parser refuses (too large, unknown charset): a plain answer, counted, no stack trace.
  app.use(
    (err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err);
      const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
      metrics.rejected.inc({ reason: status === 500 ? 'internal_error' : 'invalid_body' });
      if (status === 500) log.error({ err: err.message }, 'request failed');
      res
        .status(status)
        .type('text/plain')
        .send(status === 500 ? 'internal error' : err.message);
    },
  );

  if (!config.twilio.validateSignatures) {
    log.warn('TWILIO SIGNATURE CHECKS ARE OFF: anyone who finds this URL can place calls into your rooms');
  }
  if (config.streamToken.generated) {
    log.info('STREAM_TOKEN_SECRET not set: using a per-process secret (fine for one bridge instance)');
    // Its derived key also signs forwarded operator actions: other instances would ignore them.
    if (bus) log.warn('DATABASE_URL without STREAM_TOKEN_SECRET: bridges sharing it cannot share calls');
  }

  const endAll = async (reason: string) => {
    await Promise.all(
      registry.all().map(async (call) => {
        // A call answered but not yet streaming ends here too, with its outcome and its count
        // (it was left unfinished before, and the next start marked it `interrupted`).
        if (call.end) await call.end('shutdown', reason);
        else await lifecycle.releaseCall(call, 'shutdown', reason);
      }),
    );
  };

  return {
    server,
    rooms,
    registry,
    admission,
    metrics,
    log,
    store,
    recorder,
    callbacks,
    live,
    recordings,
    async listen() {
      // Calls this instance was serving when it last stopped cannot be live any more.
      const interrupted = await (await store).interruptUnfinished(config.records.instanceId, Date.now());
      if (interrupted.length > 0)
        log.warn({ calls: interrupted }, 'call records left unfinished by the last run marked interrupted');
      // Their callbacks, and any the last run had not finished delivering, go out now.
      await callbacks.resume(config.records.instanceId);
      // The recordings directory exists before the first call; old recordings go (then hourly).
      await recordings.start();
      if (recordings.enabled) log.info({ dir: recordings.dir }, 'recording calls');
      await bus?.ready;
      admission.start();
      return new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve((server.address() as AddressInfo).port));
      });
    },
    async drain(timeoutMs = config.drainTimeoutMs) {
      registry.draining = true;
      log.info({ active: registry.active, timeoutMs }, 'draining: new calls get the busy message');
      const deadline = Date.now() + timeoutMs;
      while (registry.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await endAll('drain timeout');
    },
    async close() {
      registry.draining = true;
      admission.stop();
      await endAll('bridge closing');
      for (const client of ws.getWss().clients) client.close(CloseCode.normal, 'bridge closing');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // open SSE streams would otherwise hold close() forever
      });
      await recorder.flushed();
      recordings.stop();
      callbacks.close();
      await callbacks.settled();
      await bus?.close();
      await nonceDb?.close();
      await (await store.catch(() => undefined))?.close();
    },
  };
}
