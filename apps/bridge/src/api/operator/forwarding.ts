/**
 * Operator actions on a call another bridge instance carries, forwarded to that instance over the
 * bridges bus (PostgreSQL `LISTEN/NOTIFY`, records/cluster-bus.ts) and answered the same way.
 *
 * Why the bus and not an HTTP hop to the carrier: every instance sharing the records already
 * listens on it, so forwarding needs no advertised address per instance, no new port or route
 * reachable from the network, and no new setting; a command reaches the carrier in milliseconds.
 *
 * Any role that can connect to the database can `NOTIFY` any channel, so the database is not the
 * whole guard: commands and replies are signed (HMAC-SHA256 with a key derived from
 * `STREAM_TOKEN_SECRET`, which instances sharing calls must share anyway), carry their time (older
 * than 30 s: ignored) and a one-time id (a replayed command is ignored).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../logger.js';
import type { ClusterBus } from '../../records/cluster-bus.js';
import type { ActionResult } from './call-actions.js';

/** How long the carrier has to carry out an action and answer before the operator gets a 504. */
export const FORWARD_TIMEOUT_MS = 5000;
/** A signed message older (or further in the future) than this is ignored. */
const MAX_AGE_MS = 30_000;

/** What can be forwarded: the actions that need the instance carrying the call's stream. */
export type ForwardedAction = { action: 'end' } | { action: 'transfer'; to: string };

/** The carrier's answer: the action's result, or that it does not carry the call (any more). */
export type CarrierReply = { carried: true; result: ActionResult } | { carried: false };

/** What a forward came to: the carrier's reply, no reply in time, or the bus could not send it. */
export type ForwardOutcome =
  { type: 'reply'; reply: CarrierReply } | { type: 'timeout' } | { type: 'unsent' };

const actionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('end') }),
  z.object({ action: z.literal('transfer'), to: z.string().max(20) }),
]);
const commandSchema = z.object({
  id: z.string().uuid(),
  at: z.number(),
  /** The instance meant to carry it out (BRIDGE_INSTANCE_ID). */
  to: z.string().min(1).max(200),
  sid: z.string().regex(/^CA[0-9a-fA-F]{32}$/),
  operator: z.string().min(1).max(64),
  do: actionSchema,
});
const resultSchema = z.union([
  z.object({ ok: z.literal(true), body: z.record(z.string(), z.unknown()) }),
  z.object({ ok: z.literal(false), status: z.number().int(), code: z.string(), message: z.string() }),
]);
const replySchema = z.object({
  id: z.string().uuid(),
  at: z.number(),
  reply: z.union([
    z.object({ carried: z.literal(true), result: resultSchema }),
    z.object({ carried: z.literal(false) }),
  ]),
});
const signedSchema = z.object({ m: z.string().max(7000), s: z.string().length(64) });

export type ForwardedCommand = z.infer<typeof commandSchema>;

export interface ForwardingDeps {
  bus: Pick<ClusterBus, 'publish' | 'subscribe'>;
  /** STREAM_TOKEN_SECRET: the key commands and replies are signed with is derived from it. */
  secret: string;
  /** This instance's BRIDGE_INSTANCE_ID: commands addressed to it are carried out here. */
  instanceId: string;
  log: Logger;
  timeoutMs?: number;
}

/** Sends operator actions to the instance carrying a call, and carries out those sent here. */
export class ActionForwarding {
  readonly #key: Buffer;
  readonly #pending = new Map<string, (reply: CarrierReply) => void>();
  /** Ids of commands already carried out, until they are too old to be accepted anyway. */
  readonly #seen = new Map<string, number>();
  #handler?: (command: ForwardedCommand) => Promise<CarrierReply>;

  constructor(private readonly deps: ForwardingDeps) {
    this.#key = createHmac('sha256', deps.secret).update('callbridge operator commands v1').digest();
    deps.bus.subscribe('command', (body) => void this.#onCommand(body));
    deps.bus.subscribe('reply', (body) => this.#onReply(body));
  }

  /** Carries out the commands addressed to this instance. */
  serve(handler: (command: ForwardedCommand) => Promise<CarrierReply>): void {
    this.#handler = handler;
  }

  /** Asks instance `carrier` to carry out `action` on call `sid` for `operator`; waits for its answer. */
  forward(carrier: string, sid: string, operator: string, action: ForwardedAction): Promise<ForwardOutcome> {
    const id = randomUUID();
    const command: ForwardedCommand = { id, at: Date.now(), to: carrier, sid, operator, do: action };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ type: 'timeout' });
      }, this.deps.timeoutMs ?? FORWARD_TIMEOUT_MS);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve({ type: 'reply', reply });
      });
      if (!this.deps.bus.publish('command', this.#sign(command))) {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve({ type: 'unsent' });
      }
    });
  }

  #sign(message: unknown): { m: string; s: string } {
    const m = JSON.stringify(message);
    return { m, s: createHmac('sha256', this.#key).update(m).digest('hex') };
  }

  /** The signed message's content if its signature holds and it is recent; undefined otherwise. */
  #open<T extends { at: number }>(body: unknown, schema: z.ZodType<T>, what: string): T | undefined {
    const signed = signedSchema.safeParse(body);
    if (!signed.success) return void this.deps.log.warn({ what }, 'malformed message on the bridges bus');
    const expected = createHmac('sha256', this.#key).update(signed.data.m).digest();
    const given = Buffer.from(signed.data.s, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return void this.deps.log.warn({ what }, 'unsigned or forged message on the bridges bus ignored');
    let parsed;
    try {
      parsed = schema.safeParse(JSON.parse(signed.data.m));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) return void this.deps.log.warn({ what }, 'malformed message on the bridges bus');
    if (Math.abs(Date.now() - parsed.data.at) > MAX_AGE_MS)
      return void this.deps.log.warn({ what }, 'stale message on the bridges bus ignored');
    return parsed.data;
  }

  async #onCommand(body: unknown): Promise<void> {
    const command = this.#open(body, commandSchema, 'operator command');
    if (!command || command.to !== this.deps.instanceId || !this.#handler) return;
    const now = Date.now();
    for (const [id, at] of this.#seen) if (now - at > 2 * MAX_AGE_MS) this.#seen.delete(id);
    if (this.#seen.has(command.id))
      return void this.deps.log.warn({ callSid: command.sid }, 'replayed operator command ignored');
    this.#seen.set(command.id, now);
    let reply: CarrierReply;
    try {
      reply = await this.#handler(command);
    } catch (err) {
      this.deps.log.error({ callSid: command.sid, err: (err as Error).message }, 'forwarded action failed');
      const message = 'the action failed on the bridge carrying the call; see its log';
      reply = { carried: true, result: { ok: false, status: 500, code: 'internal', message } };
    }
    if (!this.deps.bus.publish('reply', this.#sign({ id: command.id, at: Date.now(), reply })))
      this.deps.log.warn({ callSid: command.sid }, 'could not answer a forwarded operator action');
  }

  #onReply(body: unknown): void {
    const reply = this.#open(body, replySchema, 'operator reply');
    if (reply) this.#pending.get(reply.id)?.(reply.reply as CarrierReply);
  }
}
