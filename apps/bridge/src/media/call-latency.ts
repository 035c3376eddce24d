/**
 * What the caller waits for, measured where the bridge sees both sides: the greeting (stream start
 * → the first agent audio sent to Twilio) and each turn (the caller's last loud frame → the first
 * agent audio of the answer). Twilio plays a frame within one 20 ms tick of receiving it, so these
 * are what the caller hears, less that tick.
 */
import { reachesDbfs } from './frame-level.js';

export interface CallLatencyEvents {
  onGreeting(ms: number): void;
  onTurn(ms: number): void;
}

export class CallLatency {
  greetingMs: number | undefined;
  readonly turnsMs: number[] = [];
  private callerLoudAt = Number.NEGATIVE_INFINITY;
  /** When the caller last spoke or pressed a key (the `now` clock). */
  callerActiveAt = Number.NEGATIVE_INFINITY;
  private callerSpokeSinceAgent = false;

  constructor(
    private readonly startedAt: number,
    private readonly events: CallLatencyEvents,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A caller frame was handed on; `loud` if it carried speech rather than line noise. */
  callerFrame(loud: boolean): void {
    if (!loud) return;
    this.callerLoudAt = this.callerActiveAt = this.now();
    this.callerSpokeSinceAgent = true;
  }

  /** The caller pressed a key (which interrupts the agent as speech does). */
  callerKey(): void {
    this.callerActiveAt = this.now();
  }

  /** The agent began an utterance: its first frame is on its way to the caller. */
  agentUtteranceStarted(): void {
    const at = this.now();
    if (this.greetingMs === undefined) {
      this.greetingMs = Math.round(at - this.startedAt);
      this.events.onGreeting(this.greetingMs);
    } else if (this.callerSpokeSinceAgent) {
      const ms = Math.round(at - this.callerLoudAt);
      this.turnsMs.push(ms);
      this.events.onTurn(ms);
    }
    this.callerSpokeSinceAgent = false;
  }
}

/** Below about -45 dBFS a frame is line noise, not speech. */
export function isLoud(pcm: Int16Array): boolean {
  return reachesDbfs(pcm, -45);
}
