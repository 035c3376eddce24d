import express, { Router } from 'express';
import { RETRY_AFTER_S, type Admission } from '../calls/admission-probes.js';
import type { Logger } from '../logger.js';
import type { OutboundCalls } from '../outbound/outbound-calls.js';
import type { CallEventHub } from '../records/call-events.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { CallStore } from '../records/call-store.js';
import { requireApiKey } from './api-key-auth.js';
import type { OperatorAuth } from './operator/auth.js';
import {
  callSummaryJson,
  operatorActionJson,
  statusEventJson,
  toolCallJson,
  transcriptLineJson,
} from './call-json.js';
import { streamCallEvents } from './call-events-stream.js';
import { encodeCursor, parseListQuery } from './call-list-query.js';
import { recordingRoute } from './recording-route.js';
import { sendError } from './errors.js';

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

/** `/api/calls`: the call records and outbound calls, behind a bearer API key. */
export function callsApi(deps: {
  apiKeys: readonly string[];
  store: Promise<CallStore>;
  hub: CallEventHub;
  outbound: OutboundCalls;
  log: Logger;
  /** Operators logged in to the console may use this API with their session cookie too. */
  console?: OperatorAuth;
  recorder?: CallRecorder;
  /** Refuses new outbound calls (503, Retry-After) while the bridge is full or saturated. */
  admission?: Admission;
  /** RECORD_CALLS: whether the bridge records calls (for the words of a missing recording). */
  recordingOn?: boolean;
}): Router {
  const router = Router();
  router.use(requireApiKey(deps.apiKeys, deps.console));
  router.use(express.json({ limit: '64kb' }));

  router.get('/calls', async (req, res) => {
    const query = parseListQuery(req.query);
    if (!query.ok) return sendError(res, 400, 'invalid_query', query.message);
    const store = await deps.store;
    const calls = await store.list(query.filter);
    const last = calls.at(-1);
    res.json({
      calls: calls.map(callSummaryJson),
      next_cursor:
        last && calls.length === query.filter.limit ? encodeCursor(last.createdAt, last.callSid) : null,
    });
  });

  router.get('/calls/:sid', async (req, res) => {
    if (!CALL_SID.test(req.params.sid))
      return sendError(res, 400, 'invalid_sid', 'a CallSid is CA + 32 hex digits');
    const store = await deps.store;
    const record = await store.get(req.params.sid);
    if (!record) return sendError(res, 404, 'not_found', `no call record for ${req.params.sid}`);
    const [transcript, toolCalls, statuses, actions] = await Promise.all([
      store.transcript(record.callSid),
      store.toolCalls(record.callSid),
      store.statusEvents(record.callSid),
      store.operatorActions(record.callSid),
    ]);
    res.json({
      ...callSummaryJson(record),
      transcript: transcript.map(transcriptLineJson),
      tool_calls: toolCalls.map(toolCallJson),
      status_events: statuses.map(statusEventJson),
      operator_actions: actions.map(operatorActionJson),
    });
  });

  router.get('/calls/:sid/events', async (req, res) => {
    if (!CALL_SID.test(req.params.sid))
      return sendError(res, 400, 'invalid_sid', 'a CallSid is CA + 32 hex digits');
    const found = await streamCallEvents(req, res, await deps.store, deps.hub);
    if (!found) sendError(res, 404, 'not_found', `no call record for ${req.params.sid}`);
  });

  router.get('/calls/:sid/recording', recordingRoute({ ...deps, recordingOn: deps.recordingOn ?? false }));

  router.post('/calls', async (req, res) => {
    const refusal = deps.admission?.refusal();
    if (refusal) {
      deps.admission!.refused(refusal, 'api');
      deps.log.warn({ reason: refusal.reason }, 'outbound call refused: the bridge is busy');
      res.set('Retry-After', String(RETRY_AFTER_S));
      return sendError(
        res,
        503,
        'busy',
        `this bridge is not taking new calls now (${refusal.reason}); retry in ${RETRY_AFTER_S} s, or on another bridge`,
      );
    }
    const result = await deps.outbound.place(req.body);
    if (!result.ok) return sendError(res, result.status, result.code, result.message);
    const operator = res.locals.operator as string | undefined;
    if (operator !== undefined) {
      const { to, task } = result.record;
      await deps.recorder?.operatorAction(result.record.callSid, {
        ...{ operator, action: 'place_call', detail: { to, task }, result: 'ok', at: Date.now() },
      });
    }
    res.status(201).location(`/api/calls/${result.record.callSid}`).json(callSummaryJson(result.record));
  });

  // Malformed JSON and anything thrown above end here, as JSON like every other API answer.
  router.use(((err, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed')
      return sendError(res, 400, 'invalid_json', 'the body is not valid JSON');
    if (e.status === 413) return sendError(res, 413, 'too_large', 'the body is larger than 64 KB');
    deps.log.error({ err: e.message }, 'API request failed');
    sendError(res, 500, 'internal', 'the request failed on the bridge; see its log');
  }) as express.ErrorRequestHandler);

  return router;
}
