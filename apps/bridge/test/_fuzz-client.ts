// Raw clients for the fuzz and security tests: a signed Media Streams socket that sends exactly the
// bytes it is given, and signed (or not) webhook requests with any body and headers.
import { request, Agent } from 'node:http';
import { computeStreamUpgradeSignature, computeTwilioSignature } from '@callbridge/twilio-media';
import WebSocket from 'ws';
import type { RawMessage } from './_fuzz-messages.js';
import { AUTH_TOKEN } from './_harness.js';

export interface RawStream {
  ws: WebSocket;
  /** Close code the server sent (1006 when the connection just died). */
  closed: Promise<number>;
  isClosed(): boolean;
}

/** A Media Streams socket with a valid upgrade signature and nothing sent yet. */
export function openRawStream(streamUrl: string): Promise<RawStream> {
  const ws = new WebSocket(streamUrl, {
    headers: { 'x-twilio-signature': computeStreamUpgradeSignature(AUTH_TOKEN, streamUrl) },
  });
  let done = false;
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code) => {
      done = true;
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed, isClosed: () => done }));
    ws.once('error', reject);
  });
}

export function sendRaw(stream: RawStream, msg: RawMessage): void {
  stream.ws.send(msg.data, { binary: msg.binary });
}

export interface HttpResult {
  status: number;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** One HTTP request with exactly these headers and body bytes. Never throws: a dead socket is status 0. */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer },
): Promise<HttpResult> {
  return new Promise((resolve) => {
    const req = request(url, { method: opts.method ?? 'POST', headers: opts.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end(opts.body);
  });
}

/** A form POST signed the way Twilio signs it, over `signedUrl` (default: the URL requested). */
export function signedForm(
  url: string,
  form: Record<string, string>,
  opts: { signedUrl?: string; authToken?: string } = {},
): Promise<HttpResult> {
  return rawRequest(url, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': computeTwilioSignature(opts.authToken ?? AUTH_TOKEN, opts.signedUrl ?? url, form),
    },
    body: new URLSearchParams(form).toString(),
  });
}

/** The voice webhook form Twilio posts for a ringing inbound call. */
export function voiceForm(
  callSid: string,
  accountSid: string,
  from = '+15551230009',
): Record<string, string> {
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: from,
    To: '+15559870000',
  };
}

/** The `<Parameter name="streamToken">` of a `<Connect><Stream>` answer. */
export function streamTokenOf(twiml: string): string | undefined {
  return /name="streamToken" value="([^"]+)"/.exec(twiml)?.[1];
}
