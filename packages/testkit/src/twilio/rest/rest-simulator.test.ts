import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../wait/index.js';
import { TwilioRestSimulator } from './twilio-rest-simulator.js';

const AUTH_TOKEN = 'rest-sim-test-token';
const OURS = '+15550001000';

/** A tiny application: answers the voice webhook with <Say><Hangup>, keeps every signed request. */
let app: Server;
let appUrl = '';
const received: { path: string; form: Record<string, string>; signed: boolean }[] = [];
let rest: TwilioRestSimulator;
/** Media Streams events the application received, in order. */
const streamEvents: string[] = [];

function client(token = AUTH_TOKEN) {
  const c = twilio(rest.accountSid, token);
  const request = c.request.bind(c);
  c.request = (req) =>
    request({ ...req, uri: req.uri?.replace(/^https:\/\/api\.twilio\.com/, rest.baseUrl) });
  return c;
}

beforeAll(async () => {
  app = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      const signed = twilio.validateRequest(
        AUTH_TOKEN,
        String(req.headers['x-twilio-signature'] ?? ''),
        `${appUrl}${req.url}`,
        form,
      );
      received.push({ path: req.url ?? '', form, signed });
      if (req.url === '/voice' && form.To?.endsWith('3')) {
        // Streams until someone changes the call's TwiML.
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            `<Response><Connect><Stream url="${appUrl.replace('http', 'ws')}/media"/></Connect><Say>Never said</Say></Response>`,
          );
      } else if (req.url === '/voice') {
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end('<Response><Say>Hello from the app</Say><Hangup/></Response>');
      } else res.writeHead(204).end();
    });
  });
  new WebSocketServer({ server: app }).on('connection', (ws) =>
    ws.on('message', (m) => streamEvents.push(String((JSON.parse(String(m)) as { event: string }).event))),
  );
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  rest = await new TwilioRestSimulator({
    authToken: AUTH_TOKEN,
    ownedNumbers: [OURS],
    callees: ({ to }) =>
      to.endsWith('2') ? { outcome: 'busy', ringMs: 50 } : { answer: 'machine', ringMs: 50 },
  }).start();
});

afterAll(async () => {
  await rest.close();
  await new Promise<void>((r) => app.close(() => r()));
});

const callbacksFor = (sid: string) =>
  received.filter((r) => r.path === '/status' && r.form.CallSid === sid).map((r) => r.form.CallStatus);

describe('Twilio REST simulator', () => {
  it('places a call with the twilio client: signed callbacks, the webhook as outbound-api, TwiML run', async () => {
    const created = await client().calls.create({
      to: '+15550002001',
      from: OURS,
      url: `${appUrl}/voice`,
      statusCallback: `${appUrl}/status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      machineDetection: 'Enable',
    });
    expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(created.status).toBe('queued');
    const call = rest.calls.get(created.sid)!;
    expect(await call.finished).toBe('completed');
    expect(call.call?.said).toEqual(['Hello from the app']);
    const webhook = received.find((r) => r.path === '/voice' && r.form.CallSid === created.sid)!;
    expect(webhook.signed).toBe(true);
    expect(webhook.form).toMatchObject({
      Direction: 'outbound-api',
      From: OURS,
      To: '+15550002001',
      AnsweredBy: 'machine_start',
    });
    // Callbacks are posted one after another, so the final one arriving means all of them have.
    await waitFor('the completed callback', () => callbacksFor(created.sid).includes('completed'));
    expect(callbacksFor(created.sid)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(received.filter((r) => r.path === '/status').every((r) => r.signed)).toBe(true);
    const fetched = await client().calls(created.sid).fetch();
    expect(fetched.status).toBe('completed');
  });

  it('reports a busy callee with only the final status after ringing', async () => {
    const created = await client().calls.create({
      to: '+15550002002',
      from: OURS,
      url: `${appUrl}/voice`,
      statusCallback: `${appUrl}/status`,
    });
    expect(await rest.calls.get(created.sid)!.finished).toBe('busy');
    await waitFor('the busy callback', () => callbacksFor(created.sid).includes('busy'));
    // No events were asked for: only the final status is sent, as Twilio does.
    expect(callbacksFor(created.sid)).toEqual(['busy']);
    expect(received.some((r) => r.path === '/voice' && r.form.CallSid === created.sid)).toBe(false);
  });

  it('runs TwiML given with calls(sid).update in place of the current document: the stream is stopped first', async () => {
    const created = await client().calls.create({ to: '+15550002003', from: OURS, url: `${appUrl}/voice` });
    const call = await rest.waitForCall(
      (c) => c.request.callSid === created.sid && c.call?.streamSid != null,
    );
    await waitFor('the stream started', () => streamEvents.includes('start'));
    await client().calls(created.sid).update({ twiml: '<Response><Say>Moved on</Say><Hangup/></Response>' });
    expect(await call.finished).toBe('completed');
    expect(streamEvents).toContain('stop');
    expect(call.call?.said).toEqual(['Moved on']);
  });

  it('refuses bad credentials and bad numbers with Twilio error codes', async () => {
    await expect(
      client('wrong-token').calls.create({ to: '+15550002001', from: OURS, url: `${appUrl}/voice` }),
    ).rejects.toMatchObject({ status: 401, code: 20003 });
    await expect(
      client().calls.create({ to: '12345', from: OURS, url: `${appUrl}/voice` }),
    ).rejects.toMatchObject({ status: 400, code: 21211 });
    await expect(
      client().calls.create({ to: '+15550002001', from: '+15550009999', url: `${appUrl}/voice` }),
    ).rejects.toMatchObject({ status: 400, code: 21212 });
    await expect(
      client()
        .calls(`CA${'0'.repeat(32)}`)
        .fetch(),
    ).rejects.toMatchObject({ status: 404 });
  });
});
