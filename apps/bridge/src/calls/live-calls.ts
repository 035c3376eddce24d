import { EventEmitter } from 'node:events';
import type { CallDirection } from '@callbridge/room-contract';

/** What the operator console shows of one active call, kept up to date as the call runs. */
export interface LiveCall {
  callSid: string;
  direction: CallDirection;
  from: string;
  to: string;
  room: string;
  /** When our webhook answered the call (epoch ms). */
  answeredAt: number;
  /** When the Media Stream started (epoch ms); null until it does. */
  streamStartedAt: number | null;
  /** The agent's `lk.agent.state` (`listening`, `thinking`, `speaking`, …); `none` before it joins. */
  agentState: string;
  /** Stream start → first agent audio at the caller, as the bridge measured it. */
  greetingMs: number | null;
  /** Per answered turn: the caller's last loud frame → the answer's first audio. */
  turnLatenciesMs: number[];
}

export type LiveCallEvent =
  { type: 'upsert'; call: LiveCall } | { type: 'gone'; callSid: string; outcome: string };

type Patch = Partial<Pick<LiveCall, 'streamStartedAt' | 'agentState' | 'greetingMs'>>;

/**
 * The active calls as the console's all-calls feed sees them: this instance's, and (with
 * PostgreSQL) the other instances', from their events. The call
 * lifecycle adds a call when the webhook answers it and removes it when it is released; the media
 * session reports the stream start, agent state and latencies. Listeners get every change.
 */
export class LiveCalls {
  private readonly calls = new Map<string, LiveCall>();
  private readonly emitter = new EventEmitter();
  /** Calls another instance carries, known from its events (see {@link apply}). */
  private readonly remote = new Set<string>();
  private share?: (event: LiveCallEvent) => void;

  /** Every change of a call this instance carries also goes to `share` (the other instances). */
  shareWith(share: (event: LiveCallEvent) => void): void {
    this.share = share;
  }

  /** A change another instance published: its calls are listed here too. */
  apply(event: LiveCallEvent): void {
    if (event.type === 'upsert') {
      this.calls.set(event.call.callSid, event.call);
      this.remote.add(event.call.callSid);
    } else {
      this.calls.delete(event.callSid);
      this.remote.delete(event.callSid);
    }
    this.emitter.emit('event', event);
  }

  /**
   * This instance answered the call but another carries its stream: forget it quietly (the other
   * instance's events list it from now on), unless those events already replaced this entry.
   */
  handOff(callSid: string): void {
    if (!this.remote.has(callSid)) this.calls.delete(callSid);
  }

  constructor() {
    this.emitter.setMaxListeners(0); // one per open console
  }

  add(call: Pick<LiveCall, 'callSid' | 'direction' | 'from' | 'to' | 'room' | 'answeredAt'>): void {
    const live: LiveCall = {
      ...call,
      streamStartedAt: null,
      agentState: 'none',
      greetingMs: null,
      turnLatenciesMs: [],
    };
    this.calls.set(call.callSid, live);
    this.remote.delete(call.callSid);
    this.emit({ type: 'upsert', call: live });
  }

  update(callSid: string, patch: Patch): void {
    const call = this.calls.get(callSid);
    if (!call || this.remote.has(callSid)) return;
    if (Object.entries(patch).every(([k, v]) => call[k as keyof Patch] === v)) return;
    Object.assign(call, patch);
    this.emit({ type: 'upsert', call });
  }

  addTurn(callSid: string, ms: number): void {
    const call = this.calls.get(callSid);
    if (!call || this.remote.has(callSid)) return;
    call.turnLatenciesMs.push(ms);
    this.emit({ type: 'upsert', call });
  }

  remove(callSid: string, outcome: string): void {
    if (this.remote.has(callSid) || !this.calls.delete(callSid)) return;
    this.emit({ type: 'gone', callSid, outcome });
  }

  all(): LiveCall[] {
    return [...this.calls.values()];
  }

  subscribe(listener: (event: LiveCallEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  private emit(event: LiveCallEvent): void {
    // A snapshot per event: listeners serialize later, the call keeps changing.
    const copy: LiveCallEvent =
      event.type === 'upsert'
        ? { type: 'upsert', call: { ...event.call, turnLatenciesMs: [...event.call.turnLatenciesMs] } }
        : event;
    this.emitter.emit('event', copy);
    this.share?.(copy);
  }
}
