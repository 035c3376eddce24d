// API answers are JSON checked field by field with expect(); typing every shape here would only
// repeat the assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { freeTcpPort, type LiveKitServer } from '@callbridge/testkit/livekit';
import { TwilioRestSimulator, TwilioSimulator, type CalleeDirectory } from '@callbridge/testkit/twilio';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { createCallRooms } from '../src/livekit/call-rooms.js';
import { createBridge } from '../src/server.js';
import { AUTH_TOKEN, type TestBridge } from './_harness.js';

export const API_KEY = 'test-api-key-0123456789abcdef0123';
export const OUR_NUMBER = '+15559870000';

/** A test bridge with the API on, outbound calls through a Twilio REST simulator. */
export async function startOutboundBridge(
  lk: LiveKitServer,
  opts: { env?: Record<string, string>; callees?: CalleeDirectory } = {},
): Promise<{
  tb: TestBridge;
  rest: TwilioRestSimulator;
  api: ApiClient;
  /** Every agent dispatch the bridge created: room and metadata. */
  dispatches: { room: string; metadata: Record<string, unknown> }[];
  close(): Promise<void>;
}> {
  const rest = await new TwilioRestSimulator({
    authToken: AUTH_TOKEN,
    callees: opts.callees,
    ownedNumbers: [OUR_NUMBER],
  }).start();
  const port = await freeTcpPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    LIVEKIT_URL: lk.url,
    LIVEKIT_API_KEY: lk.apiKey,
    LIVEKIT_API_SECRET: lk.apiSecret,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    LOG_LEVEL: process.env.BRIDGE_LOG_LEVEL ?? 'warn',
    SQLITE_PATH: ':memory:',
    TWILIO_ACCOUNT_SID: rest.accountSid,
    TWILIO_API_BASE_URL: rest.baseUrl,
    API_KEY,
    OUTBOUND_FROM: OUR_NUMBER,
    OUTBOUND_ALLOWLIST: '+1555444*',
    ...opts.env,
  });
  // The real LiveKit calls, with the dispatch metadata kept for assertions (the server does not
  // return it when dispatches are listed).
  const real = createCallRooms(config.livekit);
  const dispatches: { room: string; metadata: Record<string, unknown> }[] = [];
  const rooms = {
    ...real,
    async dispatchAgent(room: string, agentName: string, metadata: Record<string, unknown>) {
      dispatches.push({ room, metadata });
      await real.dispatchAgent(room, agentName, metadata);
    },
  };
  const bridge = createBridge(config, { rooms, log: pino({ level: config.logLevel }, pino.destination(2)) });
  await bridge.listen();
  const sim = new TwilioSimulator({ authToken: AUTH_TOKEN, accountSid: rest.accountSid });
  const tb: TestBridge = {
    bridge,
    publicUrl,
    voiceUrl: `${publicUrl}/twilio/voice`,
    sim,
    placeCall: (o = {}) =>
      sim.placeInboundCall({
        voiceUrl: `${publicUrl}/twilio/voice`,
        statusCallbackUrl: `${publicUrl}/twilio/status`,
        from: '+15551230001',
        to: OUR_NUMBER,
        ...o,
      }),
    async close() {
      await sim.hangupAll().catch(() => undefined);
      await bridge.close();
    },
  };
  return {
    tb,
    rest,
    dispatches,
    api: apiClient(tb.publicUrl),
    async close() {
      await rest.close();
      await tb.close();
    },
  };
}

export interface ApiClient {
  request(
    method: string,
    path: string,
    body?: unknown,
    key?: string | null,
  ): Promise<{ status: number; body: any }>;
  /** Polls GET /api/calls/:sid until `done` holds. */
  waitForCall(sid: string, done: (call: any) => boolean, timeoutMs?: number): Promise<any>;
}

export function apiClient(base: string): ApiClient {
  const request: ApiClient['request'] = async (method, path, body, key = API_KEY) => {
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    request,
    async waitForCall(sid, done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any;
      for (;;) {
        const res = await request('GET', `/api/calls/${sid}`);
        last = res.body;
        if (res.status === 200 && done(res.body)) return res.body;
        if (Date.now() > deadline)
          throw new Error(`call ${sid} never reached the expected state; last: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** Reads a Server-Sent Events stream into parsed events until it closes or `stop()` is called. */
export async function readSse(url: string, key = API_KEY) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
  const events: { event: string; data: any }[] = [];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
    resolveClosed();
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    closed,
    stop: () => controller.abort(),
  };
}
