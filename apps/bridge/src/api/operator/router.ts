import express, { Router, type Response } from 'express';
import { z } from 'zod';
import type { LiveCalls } from '../../calls/live-calls.js';
import type { Logger } from '../../logger.js';
import { sendError } from '../errors.js';
import { refuseCrossSite, requireOperator, type OperatorAuth } from './auth.js';
import {
  CallActions,
  tokenBody,
  transferBody,
  type ActionResult,
  type CallActionDeps,
} from './call-actions.js';
import { streamLiveCalls } from './live-feed.js';
import { checkPassword, sessionCookie, signSession } from './session.js';

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const loginBody = z
  .object({ name: z.string().min(1).max(64), password: z.string().min(1).max(200) })
  .strict();

function answer(res: Response, r: ActionResult): void {
  if (r.ok) res.json(r.body);
  else sendError(res, r.status, r.code, r.message);
}

function parse<T>(schema: z.ZodType<T>, body: unknown, res: Response): T | undefined {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  sendError(res, 400, 'invalid_request', parsed.error.issues.map((i) => i.message).join('; '));
  return undefined;
}

/**
 * `/api/operator`: the console's own API, behind an operator session cookie (not the API key).
 * Login and logout; the all-calls live feed; end, transfer, and a listen/take-over token for an
 * active call. Everything else the console shows comes from `/api/calls`, which accepts the same
 * session.
 */
export function operatorApi(
  deps: CallActionDeps & { auth: OperatorAuth; live: LiveCalls; log: Logger },
): Router {
  const { auth } = deps;
  const actions = new CallActions(deps);
  const router = Router();
  router.use(express.json({ limit: '8kb' }));

  router.post('/login', (req, res) => {
    if (auth.users.size === 0)
      return sendError(res, 503, 'console_off', 'the console is off: set CONSOLE_USERS on the bridge');
    if (refuseCrossSite(req, res)) return;
    const body = parse(loginBody, req.body, res);
    if (!body) return;
    if (!checkPassword(auth.users, body.name, body.password)) {
      deps.log.warn({ operator: body.name.slice(0, 64) }, 'console login refused');
      return sendError(res, 401, 'bad_credentials', 'wrong name or password');
    }
    const token = signSession(auth.sessionSecret, body.name, Date.now() + auth.sessionTtlMs);
    const maxAgeS = Math.floor(auth.sessionTtlMs / 1000);
    res.setHeader('Set-Cookie', sessionCookie(token, { maxAgeS, secure: auth.secureCookie }));
    deps.log.info({ operator: body.name }, 'operator logged in');
    res.json({ operator: body.name });
  });

  router.post('/logout', (req, res) => {
    if (refuseCrossSite(req, res)) return;
    res.setHeader('Set-Cookie', sessionCookie('', { maxAgeS: 0, secure: auth.secureCookie }));
    res.status(204).end();
  });

  router.use(requireOperator(auth));
  router.get('/me', (_req, res) => res.json({ operator: res.locals.operator as string }));
  router.get('/calls/live', (req, res) => streamLiveCalls(req, res, deps.live));

  router.param('sid', (_req, res, next, sid: string) => {
    if (!CALL_SID.test(sid)) return sendError(res, 400, 'invalid_sid', 'a CallSid is CA + 32 hex digits');
    next();
  });
  router.post('/calls/:sid/end', async (req, res) => {
    answer(res, await actions.end(req.params.sid, res.locals.operator as string));
  });
  router.post('/calls/:sid/transfer', async (req, res) => {
    const body = parse(transferBody, req.body, res);
    if (body) answer(res, await actions.transfer(req.params.sid, res.locals.operator as string, body.to));
  });
  router.post('/calls/:sid/token', async (req, res) => {
    const body = parse(tokenBody, req.body, res);
    if (body) answer(res, await actions.token(req.params.sid, res.locals.operator as string, body.mode));
  });

  router.use((_req, res) => sendError(res, 404, 'not_found', 'no such console endpoint'));
  router.use(((err, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed')
      return sendError(res, 400, 'invalid_json', 'the body is not valid JSON');
    if (e.status === 413) return sendError(res, 413, 'too_large', 'the body is too large');
    deps.log.error({ err: e.message }, 'console request failed');
    sendError(res, 500, 'internal', 'the request failed on the bridge; see its log');
  }) as express.ErrorRequestHandler);
  return router;
}
