/**
 * A local stand-in for the OpenAI Realtime API (GA protocol, WebSocket at `<baseUrl>/realtime`).
 * Point a client at it with `OPENAI_BASE_URL=<baseUrl>` and any non-empty `OPENAI_API_KEY`.
 * Bad handshakes are refused at the HTTP layer with the status the real API uses.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { newId } from './_protocol.js';
import type { ResponsePacing, ResponseRecord } from './_response.js';
import { SimSession } from './_session.js';
import { EventLog } from './event-log.js';
import type { RealtimeScript } from './script.js';

export interface RealtimeSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  script?: RealtimeScript;
  /** If set, the bearer token must equal it; otherwise any non-empty token is accepted. */
  apiKey?: string;
  /** Model latency before the first output of a response. Default 300 ms. */
  firstOutputDelayMs?: number;
  /** Audio per output delta. Default 100 ms. */
  audioChunkMs?: number;
  /** How much faster than real time reply audio is streamed. Default 2. */
  realtimeFactor?: number;
}

export interface SimSessionInfo {
  id: string;
  model: string;
  connectedAt: number;
  closedAt: number | undefined;
  /** The session config as last sent in `session.created`/`session.updated`. */
  readonly config: SimSession['config'];
  readonly items: SimSession['items'];
  /** Every input audio sample received on the connection (24 kHz PCM16). */
  inputAudio(): Int16Array;
  /** When (Date.now) input audio went from quiet to loud: speech reaching the model. */
  readonly inputOnsets: readonly number[];
}

export interface RealtimeSimulator {
  /** What to put in OPENAI_BASE_URL, e.g. http://127.0.0.1:41234/v1. */
  baseUrl: string;
  port: number;
  events: EventLog;
  /** Responses in the order they were created, with the audio each carried. */
  responses: readonly ResponseRecord[];
  /** Connections in the order they were opened. */
  sessions: readonly SimSessionInfo[];
  /** Replaces the script; applies to responses created from now on, on all connections. */
  setScript(script: RealtimeScript): void;
  /** Cuts every open connection without a close frame (fault injection). */
  dropConnections(): void;
  stop(): Promise<void>;
}

const PATH = '/v1/realtime';

export async function startRealtimeSimulator(
  opts: RealtimeSimulatorOptions = {},
): Promise<RealtimeSimulator> {
  const log = new EventLog();
  const sessions: SimSession[] = [];
  const responses: ResponseRecord[] = [];
  let script: RealtimeScript = opts.script ?? {};
  const pacing: ResponsePacing = {
    firstOutputDelayMs: opts.firstOutputDelayMs ?? 300,
    chunkMs: opts.audioChunkMs ?? 100,
    realtimeFactor: opts.realtimeFactor ?? 2,
  };

  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'The Realtime API is served over WebSocket only.' } }));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = checkHandshake(req, opts.apiKey);
    if (refusal) {
      log.record('-', 'sim', { type: 'handshake.refused', status: refusal.status, reason: refusal.message });
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : 'Bad Request'}\r\n` +
          'Content-Type: application/json\r\nConnection: close\r\n\r\n' +
          JSON.stringify({ error: { message: refusal.message } }),
      );
      return;
    }
    const model = new URL(req.url ?? '/', 'http://localhost').searchParams.get('model') ?? '';
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = newId('sess');
      log.record(id, 'sim', { type: 'connection.opened', model });
      sessions.push(
        new SimSession(ws, {
          id,
          model,
          log,
          script: () => script,
          pacing,
          onResponse: (record) => responses.push(record),
        }),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('realtime simulator: no TCP address');
  const host = opts.host ?? '127.0.0.1';

  return {
    baseUrl: `http://${host}:${address.port}/v1`,
    port: address.port,
    events: log,
    responses,
    sessions,
    setScript(next) {
      script = next;
    },
    dropConnections() {
      for (const s of sessions) if (s.closedAt === undefined) s.drop();
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function checkHandshake(
  req: IncomingMessage,
  apiKey: string | undefined,
): { status: number; message: string } | null {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.replace(/\/$/, '') !== PATH) {
    return { status: 400, message: `Unknown path ${url.pathname}; the Realtime endpoint is ${PATH}.` };
  }
  if (!url.searchParams.get('model')) {
    return { status: 400, message: "Missing required parameter: 'model'." };
  }
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : '';
  if (!token || (apiKey !== undefined && token !== apiKey)) {
    return { status: 401, message: 'Incorrect API key provided.' };
  }
  return null;
}
