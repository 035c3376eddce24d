/**
 * The simulator's `<Dial>` against a hand-written application: the called party's whisper
 * (`<Number url>`, signed, with the dialled call's parameters), its `<Gather>`, the `<Dial action>`
 * request with DialCallStatus / DialBridged, and a new `<Connect><Stream>` from the action's TwiML.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../wait/index.js';
import { TwilioSimulator, type DialCallee } from './index.js';

const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
const PUBLIC = 'https://app.example.test';
const XML = '<?xml version="1.0" encoding="UTF-8"?>';
const HUMAN = '+15550001111';

interface Req {
  path: string;
  params: Record<string, string>;
  signed: boolean;
}

let server: Server;
let sim: TwilioSimulator;
const requests: Req[] = [];
let streamsOpened = 0;
/** TwiML the application answers on each path (query strings kept). */
const routes = new Map<string, (params: Record<string, string>) => string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const path = req.url ?? '/';
      const signature = String(req.headers['x-twilio-signature'] ?? '');
      const signed = twilio.validateRequest(AUTH_TOKEN, signature, PUBLIC + path, params);
      requests.push({ path, params, signed });
      const route = routes.get(path.split('?')[0]!);
      if (!signed || !route) return void res.writeHead(signed ? 404 : 403).end();
      res.writeHead(200, { 'content-type': 'text/xml' }).end(route(params));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', () => streamsOpened++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  sim = new TwilioSimulator({
    authToken: AUTH_TOKEN,
    rewriteUrl: (u) =>
      u
        .replace(PUBLIC, `http://127.0.0.1:${port}`)
        .replace('wss://app.example.test', `ws://127.0.0.1:${port}`),
  });
  routes.set(
    '/whisper',
    () =>
      `${XML}<Response><Gather numDigits="1" timeout="1" action="${PUBLIC}/answer"><Say>Ana about a refund.</Say>` +
      `<Say>Press 1.</Say></Gather><Say>Not accepted.</Say><Hangup/></Response>`,
  );
  routes.set('/answer', (p) =>
    p.Digits === '1' ? `${XML}<Response/>` : `${XML}<Response><Hangup/></Response>`,
  );
  routes.set('/dial-done', (p) =>
    p.DialBridged === 'true'
      ? `${XML}<Response><Hangup/></Response>`
      : `${XML}<Response><Connect><Stream url="wss://app.example.test/media"/></Connect></Response>`,
  );
});

afterAll(async () => {
  await sim.hangupAll();
  server.closeAllConnections();
  server.close();
});

/** A call whose voice webhook answers with a warm-transfer `<Dial>` to a callee behaving like `callee`. */
async function dialWith(callee: DialCallee, timeoutS = 2) {
  routes.set(
    '/voice',
    () =>
      `${XML}<Response><Dial timeout="${timeoutS}" action="${PUBLIC}/dial-done?attempt=1">` +
      `<Number url="${PUBLIC}/whisper?call=1">${HUMAN}</Number></Dial></Response>`,
  );
  requests.length = 0;
  const call = await sim.placeInboundCall({
    voiceUrl: `${PUBLIC}/voice`,
    from: '+15551230001',
    to: '+15559870000',
    dialCallees: () => callee,
  });
  const action = await waitFor(
    'dial action request',
    () => requests.find((r) => r.path.startsWith('/dial-done')),
    15_000,
  );
  return { call, action };
}

describe('<Dial> in the Twilio simulator', () => {
  it('whispers to a callee who accepts, then connects them (completed, bridged) and requests the action', async () => {
    const { call, action } = await dialWith({ kind: 'human', ringMs: 100, keys: '1', talkMs: 200 });
    const whisper = requests.find((r) => r.path.startsWith('/whisper'))!;
    expect(whisper.signed).toBe(true);
    expect(whisper.path).toBe('/whisper?call=1');
    expect(whisper.params).toMatchObject({
      ParentCallSid: call.callSid,
      Direction: 'outbound-dial',
      To: HUMAN,
      From: '+15551230001',
      CallStatus: 'in-progress',
    });
    expect(whisper.params.CallSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(requests.find((r) => r.path === '/answer')?.params.Digits).toBe('1');
    expect(action.signed).toBe(true);
    expect(action.params).toMatchObject({
      CallSid: call.callSid,
      CallStatus: 'in-progress',
      DialCallStatus: 'completed',
      DialBridged: 'true',
      DialCallSid: whisper.params.CallSid,
    });
    expect(action.params.DialCallDuration).toMatch(/^\d+$/);
    expect(call.dials[0]?.whisperSaid).toEqual(['Ana about a refund.', 'Press 1.']);
    expect((await call.ended).status).toBe('completed');
  });

  it.each([
    ['no-answer', { kind: 'no-answer' }],
    ['no-answer', { kind: 'human', ringMs: 5000 }],
    ['busy', { kind: 'busy' }],
    ['failed', { kind: 'failed' }],
  ] as const)(
    'reports %s without a whisper and runs the action TwiML: a new stream',
    async (status, callee) => {
      const before = streamsOpened;
      const { call, action } = await dialWith(callee, 1);
      expect(action.params).toMatchObject({ DialCallStatus: status, DialBridged: 'false' });
      expect(action.params.DialCallDuration).toBeUndefined();
      expect(requests.some((r) => r.path.startsWith('/whisper'))).toBe(false);
      await call.waitForStream(1);
      await waitFor('stream opened', () => streamsOpened > before);
      await call.hangup();
    },
  );

  it.each([
    ['presses another key', { kind: 'human', ringMs: 50, keys: '2' }, ['Ana about a refund.', 'Press 1.']],
    [
      'presses nothing',
      { kind: 'human', ringMs: 50, keys: null },
      ['Ana about a refund.', 'Press 1.', 'Not accepted.'],
    ],
    [
      'hangs up on the whisper',
      { kind: 'human', ringMs: 50, hangsUpOnWhisper: true },
      ['Ana about a refund.'],
    ],
  ] as const)('a callee who %s declines: completed but not bridged', async (_what, callee, heard) => {
    const { call, action } = await dialWith(callee);
    expect(action.params).toMatchObject({ DialCallStatus: 'completed', DialBridged: 'false' });
    expect(call.dials[0]?.whisperSaid).toEqual(heard);
    await call.hangup();
  });

  it('a dial canceled through the API before the answer reports canceled', async () => {
    routes.set(
      '/voice',
      () => `${XML}<Response><Dial timeout="10" action="${PUBLIC}/dial-done">${HUMAN}</Dial></Response>`,
    );
    requests.length = 0;
    // The webhook's answer runs to the end of the <Dial>, so the call is taken while it rings.
    const placed = sim.placeInboundCall({
      voiceUrl: `${PUBLIC}/voice`,
      from: '+15551230001',
      to: '+15559870000',
      dialCallees: () => ({ kind: 'no-answer' }),
    });
    const call = await waitFor('the number ringing', () => sim.activeCalls.find((c) => c.dialed.length > 0));
    call.cancelDial();
    await placed;
    const action = await waitFor('dial action request', () =>
      requests.find((r) => r.path.startsWith('/dial-done')),
    );
    expect(action.params.DialCallStatus).toBe('canceled');
    await call.hangup();
  });
});
