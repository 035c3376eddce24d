/**
 * One POST of a callback, to the address the URL guard checked: the connection's DNS lookup is
 * pinned to it (TLS still verifies the certificate for the URL's host name). Redirects are not
 * followed: a 3xx is an answer like any other.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from './url-guard.js';

export function pinnedLookup(target: ResolvedTarget): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as LookupFunction;
}

export function postOnce(opts: {
  url: URL;
  target: ResolvedTarget;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}): Promise<number> {
  const { url, target, body } = opts;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const options: RequestOptions = {
    method: 'POST',
    lookup: pinnedLookup(target),
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'callbridge-callback/1',
      ...opts.headers,
    },
    timeout: opts.timeoutMs,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      res.resume(); // the answer's body is not read, only its status
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
