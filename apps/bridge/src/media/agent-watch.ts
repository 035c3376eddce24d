import type { DispatchMetadata } from '@callbridge/room-contract';
import type { CallEntry, CallOutcome } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import type { CallRooms } from '../livekit/call-rooms.js';
import type { PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import { routeDispatchFields, routeOfEntry } from '../routing/call-routes.js';

export interface AgentWatchDeps {
  config: Pick<
    BridgeConfig,
    'agentName' | 'routes' | 'agentRejoinGraceMs' | 'agentRejoinTimeoutMs' | 'livekitReconnectTimeoutMs'
  >;
  rooms: Pick<CallRooms, 'dispatchAgent' | 'removeParticipant'>;
  metrics: Pick<BridgeMetrics, 'agentRedispatches'>;
  log: Logger;
  call: Pick<CallEntry, 'callSid' | 'room' | 'direction' | 'from' | 'to' | 'route'>;
  phone: Pick<PhoneLine, 'agentCount' | 'unreachableAgents'>;
  /** Whether the call is live (joined and not ended): only a live call gets a new agent. */
  isLive: () => boolean;
  /**
   * What the first dispatch carried beyond the call's facts (task, instructions, voice) and the
   * transcript so far, for the replacement agent (read from the call record; never rejects).
   */
  resumeFields: () => Promise<Pick<DispatchMetadata, 'task' | 'instructions' | 'voice' | 'history'>>;
  end: (outcome: CallOutcome, reason: string) => void;
}

/**
 * Keeps an agent on a live call. The agent left, or LiveKit lost its connection, while the caller
 * is still on the line (its worker died, or it hung up without the RPC): give LiveKit a moment
 * (`agentRejoinGraceMs`) to bring it back, then dispatch a new one that continues the call (same
 * task, instructions and voice, the transcript so far, `resumed`); if none arrives within
 * `agentRejoinTimeoutMs`, end the call (`agent_lost`) so Twilio plays the apology. Also bounds how
 * long the phone may be without LiveKit itself (`room_closed`).
 */
export class AgentWatch {
  private lostAt?: number;
  /** The agents that left since the call last had one (their identities). */
  private readonly gone = new Set<string>();
  /**
   * Agents a replacement was dispatched for. One that comes back after that (its LiveKit node died
   * and it reconnected a moment after the grace, as LiveKit moved the room) is taken out: its
   * replacement continues the call, and the caller must never hear two agents answer at once.
   */
  private readonly replaced = new Set<string>();
  /** A replacement was dispatched and has not arrived: no second one is sent meanwhile. */
  private replacing = false;
  private graceTimer?: NodeJS.Timeout;
  private giveUpTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(private readonly deps: AgentWatchDeps) {}

  /** An agent left or became unreachable (none named: the call has none, e.g. after a transfer). */
  agentGone(agent?: string): void {
    const { config, phone, isLive, log, end } = this.deps;
    if (agent !== undefined && !this.replaced.has(agent)) this.gone.add(agent);
    // The replacement is on its way (the give-up timer of the first loss still runs): one more
    // would be a second agent answering the caller.
    if (!isLive() || phone.agentCount() > 0 || this.replacing) return;
    this.lostAt = performance.now();
    this.stop();
    this.graceTimer = setTimeout(() => {
      if (isLive() && phone.agentCount() === 0) this.redispatch();
    }, config.agentRejoinGraceMs);
    this.giveUpTimer = setTimeout(() => {
      if (phone.agentCount() > 0) return;
      log.error({ waitedMs: config.agentRejoinTimeoutMs }, 'no agent came back: ending the call');
      end('agent_lost', 'no agent');
    }, config.agentRejoinTimeoutMs);
  }

  /** An agent joined, or its connection came back. */
  agentBack(agent: string): void {
    const log = this.deps.log;
    log.info({ agent }, 'agent joined');
    if (this.replaced.has(agent)) {
      log.warn({ agent }, 'a replaced agent came back: removing it (its replacement continues the call)');
      this.takeOut(agent);
      return;
    }
    this.gone.delete(agent);
    this.replacing = false;
    this.stop();
    if (this.lostAt !== undefined) {
      log.info({ agent, gapMs: Math.round(performance.now() - this.lostAt) }, 'agent replaced');
      this.lostAt = undefined;
    }
  }

  /** The phone lost LiveKit and the SDK is reconnecting: end the call if it takes too long. */
  reconnecting(): void {
    const { config, log, end } = this.deps;
    log.warn('lost LiveKit: reconnecting');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(
      () => end('room_closed', 'livekit unreachable'),
      config.livekitReconnectTimeoutMs,
    );
  }

  reconnected(): void {
    this.deps.log.info('LiveKit connection restored');
    clearTimeout(this.reconnectTimer);
  }

  /** Clears every timer (the call ended, or an agent is back). */
  stop(): void {
    clearTimeout(this.graceTimer);
    clearTimeout(this.giveUpTimer);
    clearTimeout(this.reconnectTimer);
  }

  private redispatch(): void {
    const { config, rooms, metrics, log, call, phone } = this.deps;
    metrics.agentRedispatches.inc();
    log.warn({ room: call.room }, 'no agent in the call: dispatching a new one');
    for (const identity of this.gone) this.replaced.add(identity);
    this.gone.clear();
    this.replacing = true;
    // An agent whose connection is lost may still come back; take it out so the caller never
    // hears two agents at once.
    for (const identity of phone.unreachableAgents()) this.takeOut(identity);
    const context = { callSid: call.callSid, direction: call.direction, from: call.from, to: call.to };
    void this.deps
      .resumeFields()
      .then((fields) => {
        log.info({ historyLines: fields.history?.length ?? 0 }, 'new agent continues the call');
        // The route's agent and persona again (ROUTES_FILE), the request's own fields over them.
        const route = routeOfEntry(config.routes, call);
        return rooms.dispatchAgent(call.room, route?.agent ?? config.agentName, {
          ...context,
          ...routeDispatchFields(route),
          ...fields,
          resumed: true,
        } satisfies DispatchMetadata);
      })
      .catch((err: Error) => log.error({ err: err.message }, 'agent re-dispatch failed'));
  }

  /** Removes an agent from the call's room (through the server API; a failure is logged). */
  private takeOut(agent: string): void {
    const { rooms, call, log } = this.deps;
    rooms
      .removeParticipant(call.room, agent)
      .catch((err: Error) => log.warn({ err: err.message, agent }, 'could not remove agent'));
  }
}
