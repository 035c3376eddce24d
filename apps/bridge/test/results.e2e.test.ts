// A task result through the whole product, every piece a real process: POST /api/calls with a
// result schema and a callback URL → the callee answers → the agent worker (LiveKit Agents + the
// OpenAI plugin against the Realtime simulator) offers the model `report_result` built from the
// schema; the scripted model calls it with what the callee said, says goodbye and ends the call →
// the bridge stores the result (GET, SSE) and POSTs it, signed, to a real local receiver.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import type { ResponseContext } from '@callbridge/testkit/realtime';
import { TwilioRestSimulator } from '@callbridge/testkit/twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TWILIO_AUTH_TOKEN, type Stack } from '../../../scripts/lib/stack.js';
import { playedOut } from '../../../test/_caller.js';
import { verifyCallbackSignature } from '../src/callbacks/signature.js';
import { API_KEY, apiClient, readSse, type ApiClient } from './_records-harness.js';

const OUR_NUMBER = '+15559870000';
const CALLEE = '+15554440001';
const SECRET = 'e2e-callback-secret-0123456789abcdef';
const TASK = 'Book a table for four at seven pm tonight and get the confirmation code.';
const SCHEMA = {
  type: 'object',
  properties: {
    confirmed: { type: 'boolean', description: 'The restaurant confirmed the table' },
    confirmation_code: { type: 'string', maxLength: 12 },
    party_size: { type: 'integer', minimum: 1 },
  },
  required: ['confirmed'],
};
const RESULT = { confirmed: true, confirmation_code: 'ABC123', party_size: 4 };

let stack: Stack;
let rest: TwilioRestSimulator;
let api: ApiClient;
let receiverUrl = '';
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    res.writeHead(200).end('ok');
  });
});
/** What the model was offered and told when it answered the callee. */
let answerContext: ResponseContext | undefined;

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/results`;
  rest = await new TwilioRestSimulator({ authToken: TWILIO_AUTH_TOKEN, ownedNumbers: [OUR_NUMBER] }).start();
  stack = await startStack({
    script: {
      greeting: { say: 'Hello, this is an AI assistant calling to book a table for four at seven tonight.' },
      // The callee confirms: the model reports the result, the tool output comes back, it says goodbye.
      turns: {
        1: (ctx) => {
          answerContext = ctx;
          return { say: 'Wonderful, thank you.', callTool: { name: 'report_result', arguments: RESULT } };
        },
      },
      afterToolOutput: (ctx) =>
        ctx.toolOutputs.some((o) => o.output.includes('The result is recorded'))
          ? { say: 'Goodbye.', callTool: { name: 'end_call', arguments: { reason: 'booked' } } }
          : {},
      userTranscripts: { 1: 'Yes it is booked, the code is A B C 1 2 3.' },
    },
    bridgeEnv: {
      TWILIO_ACCOUNT_SID: rest.accountSid,
      TWILIO_API_BASE_URL: rest.baseUrl,
      API_KEY,
      OUTBOUND_FROM: OUR_NUMBER,
      OUTBOUND_ALLOWLIST: CALLEE,
      CALLBACK_SECRET: SECRET,
      CALLBACK_ALLOWED_HOSTS: '127.0.0.1',
      CALLBACK_ALLOW_INSECURE: 'true',
    },
  });
  api = apiClient(stack.bridgeUrl);
}, 120_000);

afterAll(async () => {
  await rest?.close();
  await stack?.stop();
  receiver.close();
  await dispose();
});

describe('a task result end to end', () => {
  it('the model reports the result with the tool built from the schema; GET, SSE and the callback have it', async () => {
    const placed = await api.request('POST', '/api/calls', {
      to: CALLEE,
      task: TASK,
      result_schema: SCHEMA,
      callback_url: receiverUrl,
    });
    expect(placed.status).toBe(201);
    const sid: string = placed.body.sid;
    const sse = await readSse(`${stack.bridgeUrl}/api/calls/${sid}/events`);
    const restCall = await rest.waitForCall((c) => c.request.callSid === sid && c.call !== null, 20_000);
    const call = restCall.call!;

    await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    await playedOut(call, 'the opening');
    // One breath: its longest inner pause is 200 ms, well inside the 500 ms silence window even
    // when a loaded box stalls the line for a moment (the far end conceals the stall as silence).
    // "Yes, it is booked. Your code is …" paused 340 ms at the full stop, and a 160 ms stall split
    // it into two turns: the model's answer to the first half was cut by the second.
    await call.sendAudio(speechPcm({ text: 'Yes it is booked, the code is A B C 1 2 3.', sampleRate: 8000 }));
    const closed = await call.closed;
    expect(closed.by).toBe('server');

    // The model was offered report_result and told to use it.
    expect(answerContext?.tools).toEqual(expect.arrayContaining(['end_call', 'report_result']));
    expect(answerContext?.instructions).toContain('call report_result');

    const record = await api.waitForCall(sid, (c) => c.callback?.state === 'delivered', 30_000);
    expect(record).toMatchObject({
      outcome: 'agent_hung_up',
      result: RESULT,
      no_result_reason: null,
      callback: { url: receiverUrl, state: 'delivered', attempts: 1, last_status: 200 },
    });
    expect(record.tool_calls.map((t: { name: string }) => t.name)).toEqual(['report_result', 'end_call']);

    // This call's deliveries (a retried test's first call may have delivered one too): exactly one.
    const mine = received.filter((r) => (JSON.parse(r.body) as { sid?: string }).sid === sid);
    expect(mine).toHaveLength(1);
    const [delivery] = mine;
    expect(
      verifyCallbackSignature({
        secret: SECRET,
        timestamp: delivery!.headers['x-callbridge-timestamp'] as string,
        signature: delivery!.headers['x-callbridge-signature'] as string,
        body: delivery!.body,
      }),
    ).toBe(true);
    expect(JSON.parse(delivery!.body)).toMatchObject({
      sid,
      task: TASK,
      result: RESULT,
      outcome: 'agent_hung_up',
    });

    await sse.closed;
    expect(sse.events.find((e) => e.event === 'result')?.data.result).toEqual(RESULT);
  }, 150_000);
});
