// API answers are JSON checked field by field with expect(); typing every shape here would only
// repeat the assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import type { LiveKitServer } from '@callbridge/testkit/livekit';
import { TwilioRestSimulator, type CalleeDirectory } from '@callbridge/testkit/twilio';
import { createCallRooms } from '../src/livekit/call-rooms.js';
import { AUTH_TOKEN, startTestBridge, waitFor, type TestBridge } from './_harness.js';

export const API_KEY = 'test-api-key-0123456789abcdef0123';
export const OUR_NUMBER = '+15559870000';

/** A test bridge with the API on, outbound calls through a Twilio REST simulator. */
export async function startOutboundBridge(
  lk: LiveKitServer,
  opts: {
    env?: Record<string, string>;
    callees?: CalleeDirectory;
    /** Twilio numbers of the account besides OUR_NUMBER (caller IDs it may place calls from). */
    ownedNumbers?: string[];
  } = {},
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
    ownedNumbers: [OUR_NUMBER, ...(opts.ownedNumbers ?? [])],
  }).start();
  const dispatches: { room: string; metadata: Record<string, unknown> }[] = [];
  const tb = await startTestBridge(
    lk,
    {
      TWILIO_ACCOUNT_SID: rest.accountSid,
      TWILIO_API_BASE_URL: rest.baseUrl,
      API_KEY,
      OUTBOUND_FROM: OUR_NUMBER,
      OUTBOUND_ALLOWLIST: '+1555444*',
      ...opts.env,
    },
    {
      accountSid: rest.accountSid,
      // The real LiveKit calls, with the dispatch metadata kept for assertions (the server does not
      // return it when dispatches are listed).
      rooms: (config) => {
        const real = createCallRooms(config.livekit);
        return {
          ...real,
          async dispatchAgent(room: string, agentName: string, metadata: Record<string, unknown>) {
            dispatches.push({ room, metadata });
            await real.dispatchAgent(room, agentName, metadata);
          },
        };
      },
    },
  );
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
      let last: any;
      return waitFor(
        `call ${sid} to reach the expected state`,
        async () => {
          const res = await request('GET', `/api/calls/${sid}`);
          last = res.body;
          return res.status === 200 && done(res.body) ? res.body : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
      });
    },
  };
}

/**
 * Reads a Server-Sent Events stream into parsed events until it closes or `stop()` is called.
 * Authenticates with the API key, or with `{ cookie }` (an operator's console session).
 */
export async function readSse(url: string, key: string | { cookie: string } = API_KEY) {
  const controller = new AbortController();
  const headers: Record<string, string> =
    typeof key === 'string' ? { authorization: `Bearer ${key}` } : { cookie: key.cookie };
  const res = await fetch(url, { headers, signal: controller.signal });
  /** Each event with the time it arrived (epoch ms). */
  const events: { event: string; data: any; receivedAt: number }[] = [];
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
          if (event && data) events.push({ event, data: JSON.parse(data), receivedAt: Date.now() });
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
