/**
 * Ends a call once, after the agent's last words have been heard: asks the bridge to hang up
 * (RPC `hangup`) and closes the agent session. Every way a call ends (end_call tool, silence,
 * time limit, caller gone) goes through here, so a second trigger cannot double-hang-up.
 */
import { voice } from '@livekit/agents';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../ops/logger.js';
import type { PhoneLine } from './phone-line.js';

/** How long end_call waits for the model to start its goodbye before hanging up anyway. */
const GOODBYE_START_TIMEOUT_MS = 5_000;
/** A goodbye longer than this is cut; the call must end even if playout never reports done. */
const GOODBYE_PLAYOUT_CAP_MS = 20_000;
/** Audio still in flight to the phone (LiveKit, bridge, Twilio buffers) when playout reports done. */
const HANGUP_GRACE_MS = 300;

export class CallEnding {
  readonly #session: voice.AgentSession;
  readonly #phone: PhoneLine | undefined;
  readonly #logger: Logger;
  #reason: string | undefined;
  #hangingUp = false;
  #closing = false;

  constructor(session: voice.AgentSession, phone: PhoneLine | undefined, logger: Logger) {
    this.#session = session;
    this.#phone = phone;
    this.#logger = logger;
  }

  /** Why the call is ending, once something decided it should. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** end_call: the tool's reply is the goodbye; hang up when it has played. */
  afterNextReply(reason: string): void {
    if (!this.#begin(reason)) return;
    const onSpeech = (ev: voice.SpeechCreatedEvent) => {
      clearTimeout(timer);
      void this.#afterPlayout(ev.speechHandle, reason);
    };
    const timer = setTimeout(() => {
      this.#session.off(voice.AgentSessionEventTypes.SpeechCreated, onSpeech);
      this.#logger.warn({ reason }, 'no goodbye was spoken, hanging up');
      void this.#hangUp(reason);
    }, GOODBYE_START_TIMEOUT_MS);
    this.#session.once(voice.AgentSessionEventTypes.SpeechCreated, onSpeech);
  }

  /** Silence or time limit: ask the model for a goodbye, then hang up when it has played. */
  sayGoodbyeAndEnd(instructions: string, reason: string): void {
    if (!this.#begin(reason)) return;
    try {
      void this.#afterPlayout(this.#session.generateReply({ instructions }), reason);
    } catch (err) {
      this.#logger.warn({ reason, err }, 'goodbye could not be generated');
      void this.#hangUp(reason);
    }
  }

  /** A machine answered and the plan is to hang up: ask the bridge to hang up without speaking. */
  hangUpNow(reason: string): void {
    if (!this.#begin(reason)) return;
    void this.#hangUp(reason);
  }

  /** The caller or the bridge is already gone: close at once, without speaking or hanging up. */
  endNow(reason: string): void {
    this.#reason ??= reason;
    this.#close(reason);
  }

  #begin(reason: string): boolean {
    if (this.#reason !== undefined) return false;
    this.#reason = reason;
    this.#logger.info({ reason }, 'ending call');
    return true;
  }

  async #afterPlayout(handle: voice.SpeechHandle, reason: string): Promise<void> {
    await Promise.race([handle.waitForPlayout().catch(() => undefined), sleep(GOODBYE_PLAYOUT_CAP_MS)]);
    await this.#hangUp(reason);
  }

  async #hangUp(reason: string): Promise<void> {
    if (this.#hangingUp || this.#closing) return;
    this.#hangingUp = true;
    await sleep(HANGUP_GRACE_MS);
    if (this.#phone) await this.#phone.hangup(reason);
    this.#close(reason);
  }

  #close(reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#session.shutdown({ drain: false, reason });
  }
}
