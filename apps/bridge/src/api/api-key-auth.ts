import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './errors.js';
import { operatorOf, refuseCrossSite, type OperatorAuth } from './operator/auth.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `Authorization: Bearer <key>` against API_KEY (comma-separated to rotate keys). Keys are compared
 * as hashes in constant time. Without any key configured the API is off. A request without an
 * Authorization header may instead carry a logged-in operator's console session (`res.locals.operator`),
 * which also passes the cross-site check when it changes something.
 */
export function requireApiKey(keys: readonly string[], console?: OperatorAuth): RequestHandler {
  const accepted = keys.map(digest);
  return (req, res, next) => {
    const operator = console && !req.headers.authorization ? operatorOf(req, console) : undefined;
    if (operator !== undefined) {
      if (refuseCrossSite(req, res)) return;
      res.locals.operator = operator;
      return next();
    }
    if (accepted.length === 0) {
      return sendError(
        res,
        503,
        'api_off',
        'the API is off: set API_KEY on the bridge (openssl rand -hex 24)',
      );
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="callbridge"');
      return sendError(res, 401, 'unauthorized', 'send the API key as "Authorization: Bearer <API_KEY>"');
    }
    const given = digest(match[1]!);
    if (!accepted.some((k) => timingSafeEqual(k, given))) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="callbridge", error="invalid_token"');
      return sendError(res, 401, 'unauthorized', 'the API key is not one of the keys in API_KEY');
    }
    next();
  };
}
