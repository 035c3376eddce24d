import type { Request, RequestHandler, Response } from 'express';
import { sendError } from '../errors.js';
import { sessionFromCookieHeader, verifySession } from './session.js';

/** What checks an operator's session (config.console). */
export interface OperatorAuth {
  users: ReadonlyMap<string, string>;
  sessionSecret: string;
  sessionTtlMs: number;
  secureCookie: boolean;
}

/** The header the console sends with every request that changes something. */
export const CONSOLE_HEADER = 'x-callbridge-console';

/** The logged-in operator of this request, from its session cookie. */
export function operatorOf(req: Request, auth: OperatorAuth): string | undefined {
  if (auth.users.size === 0) return undefined;
  const token = sessionFromCookieHeader(req.headers.cookie);
  const name = token ? verifySession(auth.sessionSecret, token) : undefined;
  // An operator removed from CONSOLE_USERS loses their session at once.
  return name !== undefined && auth.users.has(name) ? name : undefined;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host || undefined; // `null` (sandboxed, file:) has none
  } catch {
    return undefined;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request defence for cookie-authenticated requests that change something, on top of
 * SameSite=Strict: the request must carry the console's custom header (a cross-site form cannot,
 * and a cross-site fetch with it needs a CORS preflight this server never grants), and when the
 * browser says where it came from (Sec-Fetch-Site, Origin) that must be this origin.
 */
export function refuseCrossSite(req: Request, res: Response): boolean {
  if (SAFE_METHODS.has(req.method)) return false;
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const crossSite =
    req.headers[CONSOLE_HEADER] !== '1' ||
    (site !== undefined && site !== 'same-origin' && site !== 'none') ||
    (origin !== undefined && hostOf(origin) !== req.headers.host);
  if (crossSite) {
    sendError(
      res,
      403,
      'cross_site',
      `refused: console requests that change something must come from the console itself (header ${CONSOLE_HEADER}: 1, same origin)`,
    );
  }
  return crossSite;
}

/** Only a logged-in operator passes (401 otherwise); unsafe methods also pass the cross-site check. */
export function requireOperator(auth: OperatorAuth): RequestHandler {
  return (req, res, next) => {
    const operator = operatorOf(req, auth);
    if (operator === undefined) {
      if (auth.users.size === 0)
        return sendError(res, 503, 'console_off', 'the console is off: set CONSOLE_USERS on the bridge');
      return sendError(res, 401, 'not_logged_in', 'log in to the console first');
    }
    if (refuseCrossSite(req, res)) return;
    res.locals.operator = operator;
    next();
  };
}
