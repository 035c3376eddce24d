/**
 * Everything the simulator received and sent, timestamped, so tests can assert on protocol
 * behaviour ("DTMF reached the model", "speech_started at t") without racing the socket.
 */

export interface SimEvent {
  /** Wall-clock time (ms since epoch) the event was received or sent. */
  at: number;
  sessionId: string;
  /** `client`: received from the client; `server`: sent to it; `sim`: the simulator's own notes. */
  direction: 'client' | 'server' | 'sim';
  type: string;
  /** The event as on the wire, except audio payloads, replaced by their byte length. */
  body: Record<string, unknown>;
}

type Predicate = (event: SimEvent) => boolean;
type Waiter = { predicate: Predicate; resolve: (e: SimEvent) => void };

export class EventLog {
  readonly #events: SimEvent[] = [];
  #waiters: Waiter[] = [];

  get all(): readonly SimEvent[] {
    return this.#events;
  }

  record(sessionId: string, direction: SimEvent['direction'], body: Record<string, unknown>): void {
    const event: SimEvent = {
      at: Date.now(),
      sessionId,
      direction,
      type: typeof body.type === 'string' ? body.type : 'unknown',
      body: withoutAudio(body),
    };
    this.#events.push(event);
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.predicate(event)) waiter.resolve(event);
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  find(predicate: Predicate): SimEvent | undefined {
    return this.#events.find(predicate);
  }

  filter(predicate: Predicate): SimEvent[] {
    return this.#events.filter(predicate);
  }

  /** Resolves with the first event (already logged or future) matching; rejects after timeoutMs. */
  waitFor(predicate: Predicate, timeoutMs = 10_000, what = 'matching event'): Promise<SimEvent> {
    const existing = this.#events.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`realtime simulator: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (event: SimEvent): void => {
        clearTimeout(timer);
        resolve(event);
      };
      this.#waiters.push({ predicate, resolve: done });
    });
  }
}

function withoutAudio(body: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...body };
  for (const key of ['audio', 'delta'] as const) {
    const value = copy[key];
    const isAudio = key === 'audio' || body.type === 'response.output_audio.delta';
    if (isAudio && typeof value === 'string') {
      copy[key] = `<${Buffer.byteLength(value, 'base64')} bytes>`;
    }
  }
  return copy;
}
