/**
 * api.twilio.com's wire for the calls resource: the form a request sends, the Call resource JSON
 * it answers, and its errors (`{code, message, more_info, status}` with Twilio's error codes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallStatus } from '@callbridge/twilio-media';
import { newSid } from '../_sids.js';
import type { OutboundCallRequest } from './_callee.js';

const E164 = /^\+[1-9]\d{6,14}$/;

export interface RestError {
  status: number;
  code: number;
  message: string;
}

/** A `calls.create` form as the request it makes, or Twilio's refusal of it. */
export function parseCallRequest(
  form: Record<string, string[]>,
  ownedNumbers: string[] | undefined,
): OutboundCallRequest | RestError {
  const get = (k: string) => form[k]?.[0] ?? null;
  const to = get('To');
  const from = get('From');
  if (!to || !E164.test(to))
    return { status: 400, code: 21211, message: `Invalid 'To' Phone Number: ${to ?? ''}` };
  if (!from || !E164.test(from) || (ownedNumbers && !ownedNumbers.includes(from))) {
    return { status: 400, code: 21212, message: `Invalid 'From' Phone Number: ${from ?? ''}` };
  }
  if (!get('Url') && !get('Twiml')) return { status: 400, code: 21205, message: 'Url or Twiml is required' };
  return {
    callSid: newSid('CA'),
    to,
    from,
    url: get('Url'),
    method: get('Method') ?? 'POST',
    twiml: get('Twiml'),
    statusCallback: get('StatusCallback'),
    statusCallbackEvents: form.StatusCallbackEvent ?? [],
    timeoutS: get('Timeout') === null ? null : Number(get('Timeout')),
    machineDetection: get('MachineDetection'),
    form,
  };
}

/** The Call resource, as `calls.create`, `calls(sid).fetch` and `.update` answer it. */
export function callResource(
  accountSid: string,
  r: OutboundCallRequest,
  status: CallStatus | 'queued',
  answeredBy: string | null,
): Record<string, unknown> {
  const now = new Date().toUTCString();
  return {
    sid: r.callSid,
    account_sid: accountSid,
    to: r.to,
    to_formatted: r.to,
    from: r.from,
    from_formatted: r.from,
    status,
    direction: 'outbound-api',
    api_version: '2010-04-01',
    date_created: now,
    date_updated: now,
    answered_by: answeredBy,
    uri: `/2010-04-01/Accounts/${accountSid}/Calls/${r.callSid}.json`,
  };
}

/** Twilio's 404 for a path it has no resource at. */
export function notFound(path: string): RestError {
  return { status: 404, code: 20404, message: `The requested resource ${path} was not found` };
}

export async function readForm(req: IncomingMessage): Promise<Record<string, string[]>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString())) (out[k] ??= []).push(v);
  return out;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function twilioError(res: ServerResponse, error: RestError): void {
  const { status, code, message } = error;
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
