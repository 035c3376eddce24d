/**
 * A tiny stand-in application for testing the simulator itself (NOT the bridge): it checks every
 * signature with the `twilio` package, answers TwiML written out by hand, and lets each test
 * script the Media Streams side. It listens on loopback and pretends to be public at
 * https://app.example.test so the tests also exercise URL rewriting.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { WebSocketServer, type WebSocket } from 'ws';

export const PUBLIC_HTTP = 'https://app.example.test';
export const PUBLIC_WS = 'wss://app.example.test';

export interface RecordedRequest {
  path: string;
  params: Record<string, string>;
  signatureValid: boolean;
}

export interface StreamConnection {
  socket: WebSocket;
  signatureValid: boolean;
  /** Every message received, parsed from JSON, with its arrival time. */
  messages: { data: Record<string, unknown>; atMs: number }[];
  closed: Promise<{ code: number }>;
}

export interface TestApp {
  /** Maps the public URLs the simulator signs to this server's loopback port. */
  rewriteUrl: (url: string) => string;
  requests: RecordedRequest[];
  streams: StreamConnection[];
  /** TwiML served by POST /voice. */
  twiml: string;
  /** Called for each accepted stream connection. */
  onStream: (conn: StreamConnection) => void;
  nextStream(): Promise<StreamConnection>;
  nextRequest(path: string): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export async function startTestApp(authToken: string): Promise<TestApp> {
  const requests: RecordedRequest[] = [];
  const streams: StreamConnection[] = [];
  const waiters: { path: string; resolve: (r: RecordedRequest) => void }[] = [];
  const streamWaiters: ((c: StreamConnection) => void)[] = [];

  const app: TestApp = {
    rewriteUrl: () => '',
    requests,
    streams,
    twiml: '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>',
    onStream: () => {},
    nextStream: () => new Promise((resolve) => streamWaiters.push(resolve)),
    nextRequest: (path) => new Promise((resolve) => waiters.push({ path, resolve })),
    close: async () => {
      for (const s of streams) s.socket.terminate();
      wss.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };

  const server: Server = createServer((req, res) => {
    void readForm(req).then((params) => {
      const path = req.url ?? '/';
      const signature = req.headers['x-twilio-signature'];
      const signatureValid =
        typeof signature === 'string' &&
        twilio.validateRequest(authToken, signature, PUBLIC_HTTP + path, params);
      const record = { path, params, signatureValid };
      requests.push(record);
      const waiter = waiters.findIndex((w) => w.path === path);
      if (waiter >= 0) waiters.splice(waiter, 1)[0]?.resolve(record);
      if (!signatureValid) {
        res.writeHead(403).end('bad signature');
      } else if (path.endsWith('/voice')) {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(app.twiml);
      } else {
        res.writeHead(204).end();
      }
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const signature = req.headers['x-twilio-signature'];
    const signatureValid =
      typeof signature === 'string' &&
      twilio.validateRequest(authToken, signature, PUBLIC_WS + (req.url ?? ''), {});
    if (!signatureValid) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: StreamConnection = {
        socket: ws,
        signatureValid,
        messages: [],
        closed: new Promise((resolve) => ws.once('close', (code) => resolve({ code }))),
      };
      ws.on('message', (data) => {
        conn.messages.push({
          data: JSON.parse(String(data)) as Record<string, unknown>,
          atMs: performance.now(),
        });
      });
      streams.push(conn);
      app.onStream(conn);
      streamWaiters.shift()?.(conn);
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  app.rewriteUrl = (url) =>
    url.replace(PUBLIC_HTTP, `http://127.0.0.1:${port}`).replace(PUBLIC_WS, `ws://127.0.0.1:${port}`);
  return app;
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}
