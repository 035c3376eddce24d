/**
 * Live events shared by the bridges of one PostgreSQL database, over `LISTEN/NOTIFY`: the database
 * every instance already needs, so no second system (Redis) to run and watch. What one instance
 * publishes reaches the others within milliseconds; the records stay the truth (a dashboard that
 * missed an event while the connection was down gets everything again from the snapshot).
 *
 * Limits (PostgreSQL's): a payload is at most 8000 bytes, so large events are sent as a reference
 * the receiver reads back from the records (see shared-events.ts); delivery is at most once, in the
 * order this instance sent them (one connection publishes and listens).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';

export const BUS_CHANNEL = 'callbridge_events';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; room for the envelope. */
export const BUS_MAX_BODY_BYTES = 7800;
const RECONNECT_MS = 1000;

/** `call`/`live`: live feeds (shared-events.ts); `command`/`reply`: forwarded operator actions. */
export type BusTopic = 'call' | 'live' | 'command' | 'reply';

export interface ClusterBus {
  /** Sends to every other instance (never back to this one). False when it was not sent. */
  publish(topic: BusTopic, body: unknown): boolean;
  /** Hears what other instances publish on `topic`. */
  subscribe(topic: BusTopic, listener: (body: unknown) => void): void;
  /** Resolves once this instance listens (events published by others from then on arrive). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface Envelope {
  from: string;
  topic: BusTopic;
  body: unknown;
}

/** The bus over one dedicated connection to the database at `connectionString`; reconnects on loss. */
export function openPostgresBus(connectionString: string, log: Logger): ClusterBus {
  /** This process's id on the bus (instance ids may repeat, e.g. two bridges on one host). */
  const self = randomUUID();
  const listeners = new Map<BusTopic, ((body: unknown) => void)[]>();
  let client: pg.Client | null = null;
  let closed = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== BUS_CHANNEL || !msg.payload) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(msg.payload) as Envelope;
    } catch {
      return log.warn('unreadable event on the bridges bus ignored');
    }
    if (envelope.from === self) return;
    for (const listener of listeners.get(envelope.topic) ?? []) {
      try {
        listener(envelope.body);
      } catch (err) {
        log.error({ err: (err as Error).message, topic: envelope.topic }, 'bus listener failed');
      }
    }
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString });
    c.on('notification', onNotification);
    c.on('error', (err) => {
      // The connection is gone: events are missed until the next one listens.
      log.warn({ err: err.message }, 'bridges bus connection lost; reconnecting');
      if (client === c) client = null;
      void c.end().catch(() => undefined);
      if (!closed) setTimeout(() => void connect().catch(retry), RECONNECT_MS).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${BUS_CHANNEL}`);
    if (closed) return void (await c.end());
    client = c;
    resolveReady();
  };
  const retry = (err: Error) => {
    log.warn({ err: err.message }, 'bridges bus cannot connect; retrying');
    if (!closed) setTimeout(() => void connect().catch(retry), RECONNECT_MS).unref();
  };
  void connect().catch(retry);

  return {
    ready,
    publish(topic, body) {
      const payload = JSON.stringify({ from: self, topic, body } satisfies Envelope);
      if (Buffer.byteLength(payload) > BUS_MAX_BODY_BYTES) return false;
      if (!client) return false;
      client.query('SELECT pg_notify($1, $2)', [BUS_CHANNEL, payload]).catch((err: Error) => {
        log.warn({ err: err.message, topic }, 'could not publish on the bridges bus');
      });
      return true;
    },
    subscribe(topic, listener) {
      listeners.set(topic, [...(listeners.get(topic) ?? []), listener]);
    },
    async close() {
      closed = true;
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
