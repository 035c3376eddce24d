// Task results of outbound calls, with the real bridge, a real livekit-server, the Twilio REST
// simulator and a real local HTTP receiver for the callbacks (http and loopback allowed explicitly
// by CALLBACK_ALLOW_INSECURE, which production refuses). A stand-in agent reports the result over
// the room contract's `report_result` RPC, as the agent worker does.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dispose, RpcError } from '@livekit/rtc-node';
import { connectParticipant, startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallbackSignature } from '../src/callbacks/signature.js';
import { waitFor } from './_harness.js';
import { callPhone } from './_stand-in.js';
import { readSse, startOutboundBridge } from './_records-harness.js';

const CALLEE = '+15554440001';
const NO_ANSWER = '+15554440003';
const SECRET = 'callback-secret-0123456789abcdef0123';
const SCHEMA = {
  type: 'object',
  description: 'Whether the table is booked',
  properties: {
    confirmed: { type: 'boolean' },
    confirmation_code: { type: 'string', maxLength: 12 },
    party_size: { type: 'integer', minimum: 1, maximum: 20 },
  },
  required: ['confirmed'],
};

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A callback receiver: answers by path, `/flaky` 500 then 200, `/down` always 500, `/moved` 302. */
async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, headers: req.headers, body });
      const before = received.filter((r) => r.path === path).length - 1;
      if (path === '/moved') return void res.writeHead(302, { location: '/elsewhere' }).end();
      if (path === '/down' || (path === '/flaky' && before === 0)) return void res.writeHead(500).end('oops');
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

let lk: LiveKitServer;
let ob: Awaited<ReturnType<typeof startOutboundBridge>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  lk = await startLiveKitServer();
  receiver = await startReceiver();
  ob = await startOutboundBridge(lk, {
    callees: ({ to }) => (to === NO_ANSWER ? { outcome: 'no-answer' } : { answer: 'human', ringMs: 100 }),
    env: {
      CALLBACK_SECRET: SECRET,
      CALLBACK_ALLOWED_HOSTS: '127.0.0.1',
      CALLBACK_ALLOW_INSECURE: 'true',
      CALLBACK_MAX_ATTEMPTS: '3',
      // Short waits keep the test quick; nothing here measures them.
      CALLBACK_RETRY_BASE_MS: '50',
      CALLBACK_RETRY_MAX_MS: '200',
    },
  });
}, 60_000);

afterAll(async () => {
  await ob?.close();
  receiver?.server.close();
  await lk?.stop();
  await dispose();
});

const deliveries = (path: string) => receiver.received.filter((r) => r.path === path);

describe('task results', () => {
  it('the agent reports a result: validated, stored, on SSE and GET, POSTed signed to the callback after a 500', async () => {
    const { api } = ob;
    const placed = await api.request('POST', '/api/calls', {
      to: CALLEE,
      task: 'Book a table for 4 at 7 pm.',
      result_schema: SCHEMA,
      callback_url: `${receiver.url}/flaky`,
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({
      result_schema: SCHEMA,
      result: null,
      callback: { url: `${receiver.url}/flaky`, state: 'pending', attempts: 0 },
    });
    const sid: string = placed.body.sid;
    const sse = await readSse(`${ob.tb.publicUrl}/api/calls/${sid}/events`);

    // The schema reaches the agent in its dispatch metadata.
    const room = `call-${sid}`;
    const dispatch = await waitFor('dispatch', () => ob.dispatches.find((d) => d.room === room));
    expect(dispatch.metadata.resultSchema).toEqual(SCHEMA);

    const agent = await connectParticipant(lk, room, 'agent-standin');
    const phone = await waitFor('phone participant', () =>
      [...agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
    );
    const report = (payload: unknown) =>
      callPhone(agent, phone.identity, 'report_result', JSON.stringify(payload));

    // A result that does not fit is refused with each problem named, and not stored.
    const refused = await report({ result: { confirmed: 'yes', party_size: 40 } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RpcError);
    expect((refused as RpcError).code).toBe(1400);
    expect((refused as RpcError).message).toMatch(/confirmed: .*; party_size: /);
    expect((await api.request('GET', `/api/calls/${sid}`)).body.result).toBeNull();

    const result = { confirmed: true, confirmation_code: 'ABC123', party_size: 4 };
    expect(JSON.parse(await report({ result }))).toEqual({ ok: true });
    const stored = await api.request('GET', `/api/calls/${sid}`);
    expect(stored.body.result).toEqual(result);
    expect(Date.parse(stored.body.result_at)).toBeGreaterThan(0);

    await callPhone(agent, phone.identity, 'hangup', '{}');
    await agent.disconnect();

    const final = await api.waitForCall(sid, (c) => c.callback?.state === 'delivered', 20_000);
    expect(final).toMatchObject({
      outcome: 'agent_hung_up',
      result,
      no_result_reason: null,
      callback: { state: 'delivered', attempts: 2, last_status: 204, last_error: null },
    });
    expect(Date.parse(final.callback.delivered_at)).toBeGreaterThanOrEqual(Date.parse(final.ended_at));

    // The receiver got the same body twice (a 500, then the retry), each signed for its own timestamp.
    const got = deliveries('/flaky');
    expect(got).toHaveLength(2);
    expect(got[1]!.body).toBe(got[0]!.body);
    for (const [i, r] of got.entries()) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-callbridge-delivery']).toBe(sid);
      expect(r.headers['x-callbridge-attempt']).toBe(String(i + 1));
      const signed = {
        secret: SECRET,
        timestamp: r.headers['x-callbridge-timestamp'] as string,
        signature: r.headers['x-callbridge-signature'] as string,
        body: r.body,
      };
      expect(verifyCallbackSignature(signed)).toBe(true);
      expect(verifyCallbackSignature({ ...signed, secret: 'x'.repeat(32) })).toBe(false);
    }
    expect(JSON.parse(got[0]!.body)).toMatchObject({
      event: 'call.ended',
      sid,
      outcome: 'agent_hung_up',
      task: 'Book a table for 4 at 7 pm.',
      result,
      no_result_reason: null,
    });

    // SSE: the result live, and in the final record.
    await sse.closed;
    expect(sse.events.find((e) => e.event === 'result')?.data).toMatchObject({ result });
    expect(sse.events.at(-1)).toMatchObject({ event: 'ended', data: { result } });
  });

  it('a call that ends without a result says why, and the callback says so too', async () => {
    const placed = await ob.api.request('POST', '/api/calls', {
      to: NO_ANSWER,
      task: 'Book a table.',
      result_schema: SCHEMA,
      callback_url: `${receiver.url}/unanswered`,
    });
    expect(placed.status).toBe(201);
    const final = await ob.api.waitForCall(placed.body.sid, (c) => c.callback?.state === 'delivered');
    expect(final).toMatchObject({ outcome: 'no_answer', result: null, no_result_reason: 'no_answer' });
    expect(JSON.parse(deliveries('/unanswered')[0]!.body)).toMatchObject({
      sid: placed.body.sid,
      result: null,
      no_result_reason: 'no_answer',
    });
  });

  it('gives up after CALLBACK_MAX_ATTEMPTS server errors, and at once on a redirect (not followed)', async () => {
    const down = await ob.api.request('POST', '/api/calls', {
      to: NO_ANSWER,
      task: 'x',
      callback_url: `${receiver.url}/down`,
    });
    const moved = await ob.api.request('POST', '/api/calls', {
      to: NO_ANSWER,
      task: 'x',
      callback_url: `${receiver.url}/moved`,
    });
    const failedDown = await ob.api.waitForCall(down.body.sid, (c) => c.callback?.state === 'failed');
    expect(failedDown.callback).toMatchObject({ attempts: 3, last_status: 500, last_error: 'HTTP 500' });
    expect(deliveries('/down')).toHaveLength(3);
    const failedMoved = await ob.api.waitForCall(moved.body.sid, (c) => c.callback?.state === 'failed');
    expect(failedMoved.callback).toMatchObject({
      attempts: 1,
      last_status: 302,
      last_error: 'HTTP 302 (redirects are not followed)',
    });
    expect(deliveries('/moved')).toHaveLength(1);
    expect(deliveries('/elsewhere')).toHaveLength(0);
  });

  it('refuses result schemas outside the subset and callback URLs off the allow-list', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { result_schema: { type: 'object', properties: { code: { type: 'string', pattern: '^a+$' } } } },
        'invalid_request',
        /result_schema\.properties\.code.*result_schema supports/,
      ],
      [{ result_schema: { type: 'array', items: { type: 'string' } } }, 'invalid_request', /result_schema/],
      [{ callback_url: 'http://localhost:9/cb' }, 'invalid_callback_url', /not in CALLBACK_ALLOWED_HOSTS/],
      [
        { callback_url: 'http://evil.example.com/cb' },
        'invalid_callback_url',
        /not in CALLBACK_ALLOWED_HOSTS/,
      ],
      [{ callback_url: 'ftp://127.0.0.1/cb' }, 'invalid_callback_url', /must be https/],
    ];
    for (const [extra, code, message] of cases) {
      const res = await ob.api.request('POST', '/api/calls', { to: CALLEE, task: 'x', ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toMatch(message);
    }
  });
});
