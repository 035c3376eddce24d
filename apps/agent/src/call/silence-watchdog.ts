/**
 * Notices a caller who has gone quiet: after `silenceMs` with the agent listening and nobody
 * speaking it asks for a reprompt ("are you still there?"); after `maxReprompts` unanswered
 * reprompts it gives up, so the call can end politely instead of holding a line open forever.
 */

export type AgentActivityState = 'initializing' | 'idle' | 'listening' | 'thinking' | 'speaking';
export type CallerState = 'listening' | 'speaking' | 'away';

export interface SilenceWatchdogOptions {
  silenceMs: number;
  maxReprompts: number;
  /** Called with 1, 2, … for each reprompt. */
  onReprompt: (attempt: number) => void;
  /** Called once, after the last reprompt went unanswered. */
  onGiveUp: () => void;
}

export class SilenceWatchdog {
  readonly #opts: SilenceWatchdogOptions;
  #agent: AgentActivityState = 'initializing';
  #caller: CallerState = 'listening';
  #reprompts = 0;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #paused = false;

  constructor(opts: SilenceWatchdogOptions) {
    this.#opts = opts;
  }

  agentState(state: AgentActivityState): void {
    this.#agent = state;
    this.#rearm();
  }

  callerState(state: CallerState): void {
    // Any sound from the caller answers the reprompts so far.
    if (state === 'speaking') this.#reprompts = 0;
    this.#caller = state;
    this.#rearm();
  }

  /** While paused (e.g. the caller is on hold during a transfer) silence does not count. */
  pause(paused: boolean): void {
    this.#paused = paused;
    if (!paused) this.#reprompts = 0;
    this.#rearm();
  }

  close(): void {
    this.#done = true;
    clearTimeout(this.#timer);
  }

  #rearm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const quiet = (this.#agent === 'listening' || this.#agent === 'idle') && this.#caller !== 'speaking';
    if (this.#done || this.#paused || !quiet || this.#opts.silenceMs <= 0) return;
    this.#timer = setTimeout(() => this.#fire(), this.#opts.silenceMs);
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#reprompts < this.#opts.maxReprompts) {
      this.#reprompts++;
      this.#opts.onReprompt(this.#reprompts);
      // If the reprompt never makes the agent speak, the next one is still due.
      this.#rearm();
      return;
    }
    this.#done = true;
    this.#opts.onGiveUp();
  }
}
