/** A raw Realtime WebSocket client for the simulator's protocol tests: sends events, awaits replies. */
import { WebSocket } from 'ws';

export type ServerEvent = Record<string, unknown> & { type: string };

export class RawRealtimeClient {
  readonly received: ServerEvent[] = [];
  readonly #ws: WebSocket;
  #waiters: Array<{ match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }> = [];
  readonly closed: Promise<number>;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString('utf8')) as ServerEvent;
      this.received.push(event);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(event)) return true;
        w.resolve(event);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  static connect(url: string, headers: Record<string, string> = { Authorization: 'Bearer test-key' }) {
    const ws = new WebSocket(url, { headers });
    return new Promise<RawRealtimeClient>((resolve, reject) => {
      const client = new RawRealtimeClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** Resolves with the HTTP status a refused handshake got. */
  static refusal(url: string, headers: Record<string, string>): Promise<number> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('handshake unexpectedly accepted')));
      ws.once('error', () => undefined);
    });
  }

  send(event: Record<string, unknown>): void {
    this.#ws.send(JSON.stringify(event));
  }

  appendAudio(pcm: Int16Array, chunkSamples = 2400): void {
    for (let i = 0; i < pcm.length; i += chunkSamples) {
      const part = pcm.subarray(i, Math.min(pcm.length, i + chunkSamples));
      const audio = Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64');
      this.send({ type: 'input_audio_buffer.append', audio });
    }
  }

  /** The first event (already received or future) of `type` that also passes `match`. */
  next(
    type: string,
    match: (e: ServerEvent) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerEvent> {
    const test = (e: ServerEvent) => e.type === type && match(e);
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        match: test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** Received events of `type`, in order. */
  all(type: string): ServerEvent[] {
    return this.received.filter((e) => e.type === type);
  }

  /** Reply audio of one response, decoded from its output_audio deltas. */
  audioOf(responseId: string): Int16Array {
    const chunks = this.all('response.output_audio.delta')
      .filter((e) => e.response_id === responseId)
      .map((e) => Buffer.from(String(e.delta), 'base64'));
    const bytes = Buffer.concat(chunks);
    const out = new Int16Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
    return out;
  }

  close(): void {
    this.#ws.close();
  }
}
