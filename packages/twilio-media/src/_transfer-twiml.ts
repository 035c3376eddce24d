/**
 * TwiML for a warm transfer's called party (the `<Dial><Number url>` whisper): they hear the
 * agent's summary and, when asked to confirm, accept with a key; anything else hangs up their leg,
 * which ends the `<Dial>` without connecting the caller (Twilio then requests the Dial's action).
 */
import twilio from 'twilio';
import { assertHttpUrl } from './_twiml.js';

export interface WhisperOptions {
  /** What the called party hears first: who is calling and why, written by the agent. */
  summary: string;
  /**
   * Where the called party's answer goes: `<Gather action>` with confirmation, else a `<Redirect>`
   * after the summary. Answering that request with {@link emptyTwiml} connects the parties.
   */
  answerUrl: string;
  /** Ask for a key before connecting (default: connect after the summary). */
  confirm?: {
    /** "Press 1 to take the call…" */
    prompt: string;
    /** The key that accepts. */
    digit: string;
    /** Seconds to wait for the key before declining. */
    timeoutSeconds: number;
    /** Said before hanging up the called party's leg when no key came. */
    declined: string;
  };
}

/** The whisper the called party hears before a warm transfer connects them. */
export function whisperTwiml(opts: WhisperOptions): string {
  if (opts.summary.trim().length === 0) throw new TypeError('whisperTwiml: summary is empty');
  assertHttpUrl('answerUrl', opts.answerUrl);
  const response = new twilio.twiml.VoiceResponse();
  const confirm = opts.confirm;
  if (confirm === undefined) {
    response.say(opts.summary);
    response.redirect({ method: 'POST' }, opts.answerUrl);
    return response.toString();
  }
  if (!/^[0-9*#]$/.test(confirm.digit)) throw new TypeError(`whisperTwiml: "${confirm.digit}" is not a key`);
  if (!(Number.isInteger(confirm.timeoutSeconds) && confirm.timeoutSeconds > 0)) {
    throw new TypeError(
      `whisperTwiml: timeoutSeconds must be a positive integer, got ${confirm.timeoutSeconds}`,
    );
  }
  const gather = response.gather({
    numDigits: 1,
    timeout: confirm.timeoutSeconds,
    action: opts.answerUrl,
    method: 'POST',
    actionOnEmptyResult: false,
  });
  gather.say(opts.summary);
  gather.say(confirm.prompt);
  response.say(confirm.declined);
  response.hangup();
  return response.toString();
}

/** `<Response/>`: nothing more to run (after a whisper: connect the parties). */
export function emptyTwiml(): string {
  return new twilio.twiml.VoiceResponse().toString();
}
