/**
 * `<Dial>` as Twilio runs it for the caller's leg (TwiML Voice: `<Dial>` and `<Number>` docs): a
 * new outbound-dial call rings the number for `timeout` seconds (default 30); busy, failed and
 * unanswered attempts end the dial; an answer first runs the `<Number url>` TwiML (a whisper the
 * caller never hears; it may `<Say>`, `<Gather>`, `<Redirect>` and `<Hangup>` to decline, never
 * `<Dial>`) on the called party's leg, and if that document runs to its end the two parties are
 * connected until one hangs up. The outcome is what Twilio posts to `<Dial action>`:
 * `DialCallStatus` (completed, busy, no-answer, failed, canceled), `DialCallSid`,
 * `DialCallDuration` once answered, and `DialBridged`. Who answers is a per-test script.
 */
import type { DialCallStatus } from '@callbridge/twilio-media';
import { newSid } from './_sids.js';
import { postSignedForm } from './_signed-post.js';
import { readTwiml, type TwimlNode } from './_twiml-reader.js';

/** The person (or line) at a dialled number. */
export type DialCallee =
  | {
      kind: 'human';
      /** Rings this long before answering; at or past the Dial's timeout it is `no-answer`. Default 300. */
      ringMs?: number;
      /** Keys pressed when a whisper `<Gather>` asks; null presses nothing (the Gather times out). Default '1'. */
      keys?: string | null;
      /** Hangs up while the whisper plays, before pressing anything (a decline). */
      hangsUpOnWhisper?: boolean;
      /** Once connected, talks to the caller this long, then hangs up. Default 1000. */
      talkMs?: number;
    }
  /** Rings until the Dial's timeout: `no-answer`. */
  | { kind: 'no-answer' }
  /** A busy signal after a short ring: `busy`. */
  | { kind: 'busy' }
  /** Twilio cannot route the number (e.g. it does not exist): `failed`. */
  | { kind: 'failed' };

/** Who answers each dialled number. Default: a human who answers after 300 ms and presses 1. */
export type DialCallees = (number: string) => DialCallee;

/** One `<Dial>` as the simulator ran it. */
export interface DialAttempt {
  number: string;
  dialCallSid: string;
  status: DialCallStatus;
  bridged: boolean;
  /** Seconds from answer to hang-up; null when never answered. */
  durationSec: number | null;
  /** What the called party heard from the `<Number url>` TwiML (its `<Say>`s), in order. */
  whisperSaid: string[];
  /** Every `<Number url>`, `<Gather action>` or `<Redirect>` requested on the called leg. */
  calleeRequests: { url: string; params: Record<string, string>; httpStatus: number | null }[];
  /** Keys the called party pressed, if a Gather asked. */
  keysPressed: string | null;
}

export interface DialContext {
  authToken: string;
  rewriteUrl: (url: string) => string;
  /** The caller's call: its sid, account and numbers. */
  parent: { callSid: string; accountSid: string; from: string; to: string };
  /** The URL of the TwiML document holding the `<Dial>` (relative URLs resolve against it). */
  documentUrl: string | null;
  callees: DialCallees;
  /** Aborted when the caller hangs up or the dial is canceled through the API. */
  signal: AbortSignal;
}

const DEFAULT_TIMEOUT_S = 30;
const GATHER_DEFAULT_TIMEOUT_S = 5;

/** Runs one `<Dial>` to its end; the caller's leg waits (hearing ringback, then the callee). */
export async function runDial(verb: TwimlNode, ctx: DialContext): Promise<DialAttempt> {
  const numberNode = verb.children.find((c) => c.name === 'Number' || c.name === 'Sip');
  const number = (numberNode?.text ?? verb.text).trim();
  const timeoutS = Number(verb.attributes.timeout ?? DEFAULT_TIMEOUT_S);
  const attempt: DialAttempt = {
    number,
    dialCallSid: newSid('CA'),
    status: 'no-answer',
    bridged: false,
    durationSec: null,
    whisperSaid: [],
    calleeRequests: [],
    keysPressed: null,
  };
  const callee = ctx.callees(number);
  const timeoutMs = (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : DEFAULT_TIMEOUT_S) * 1000;
  const canceled = () => ((attempt.status = 'canceled'), attempt);

  if (callee.kind === 'failed') return ((attempt.status = 'failed'), attempt);
  if (callee.kind === 'busy') {
    if (!(await wait(200, ctx.signal))) return canceled();
    return ((attempt.status = 'busy'), attempt);
  }
  const ringMs = callee.kind === 'human' ? (callee.ringMs ?? 300) : Infinity;
  if (ringMs >= timeoutMs) {
    if (!(await wait(timeoutMs, ctx.signal))) return canceled();
    return ((attempt.status = 'no-answer'), attempt);
  }
  if (!(await wait(ringMs, ctx.signal))) return canceled();
  if (callee.kind !== 'human') return attempt;

  // Answered: the dialled call is completed from here on, whatever the whisper decides.
  const answeredAt = performance.now();
  attempt.status = 'completed';
  const whisperUrl = numberNode?.attributes.url;
  const leg = new CalleeLeg(ctx, attempt, callee, number, verb.attributes.callerId);
  const connect = whisperUrl === undefined ? true : await leg.request(resolve(whisperUrl, ctx.documentUrl));
  if (connect && !ctx.signal.aborted) {
    attempt.bridged = true;
    await wait(callee.talkMs ?? 1000, ctx.signal);
  }
  attempt.durationSec = Math.round((performance.now() - answeredAt) / 1000);
  return attempt;
}

/** The called party's leg while the whisper runs: requests its TwiML and plays the person's part. */
class CalleeLeg {
  constructor(
    private readonly ctx: DialContext,
    private readonly attempt: DialAttempt,
    private readonly person: Extract<DialCallee, { kind: 'human' }>,
    private readonly number: string,
    private readonly callerId: string | undefined,
  ) {}

  /** Requests a TwiML document for the leg and runs it; true when it ran to its end (connect). */
  async request(url: string, extra: Record<string, string> = {}): Promise<boolean> {
    const params = { ...this.form(), ...extra };
    const res = await postSignedForm({
      url,
      authToken: this.ctx.authToken,
      params,
      rewriteUrl: this.ctx.rewriteUrl,
    });
    this.attempt.calleeRequests.push({ url, params, httpStatus: res.ok ? res.status : null });
    // A whisper that cannot be fetched or read is an application error on that leg: it hangs up.
    if (!res.ok || res.status < 200 || res.status >= 300) return false;
    let verbs: TwimlNode[];
    try {
      verbs = readTwiml(res.body).verbs;
    } catch {
      return false;
    }
    return this.run(verbs, url);
  }

  private async run(verbs: TwimlNode[], documentUrl: string): Promise<boolean> {
    for (const verb of verbs) {
      if (this.ctx.signal.aborted) return false;
      switch (verb.name) {
        case 'Say':
          if (!this.hear(verb.text)) return false;
          break;
        case 'Hangup':
        case 'Reject':
        case 'Dial': // not allowed in a whisper: Twilio ends the leg
          return false;
        case 'Redirect':
          return this.request(resolve(verb.text.trim(), documentUrl));
        case 'Gather': {
          for (const c of verb.children) if (c.name === 'Say' && !this.hear(c.text)) return false;
          const keys = this.person.keys === undefined ? '1' : this.person.keys;
          if (keys === null || keys === '') {
            const timeoutS = Number(verb.attributes.timeout ?? GATHER_DEFAULT_TIMEOUT_S);
            if (!(await wait(timeoutS * 1000, this.ctx.signal))) return false;
            break; // no input: on to the next verb (actionOnEmptyResult is false by default)
          }
          const numDigits = Number(verb.attributes.numDigits ?? keys.length);
          const digits = keys.slice(0, numDigits);
          this.attempt.keysPressed = digits;
          // Without an action Twilio posts to the current document's URL.
          const action = resolve(verb.attributes.action ?? documentUrl, documentUrl);
          return this.request(action, { Digits: digits });
        }
        default:
          break; // Play, Pause: time on the callee's leg only
      }
    }
    return true;
  }

  /** The callee hears a `<Say>`; false when they hang up on it instead. */
  private hear(text: string): boolean {
    this.attempt.whisperSaid.push(text);
    return !this.person.hangsUpOnWhisper;
  }

  /** Twilio's request parameters for the dialled (child) call. */
  private form(): Record<string, string> {
    const { parent } = this.ctx;
    const from = this.callerId ?? parent.from;
    return {
      AccountSid: parent.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: this.attempt.dialCallSid,
      ParentCallSid: parent.callSid,
      CallStatus: 'in-progress',
      Direction: 'outbound-dial',
      From: from,
      Caller: from,
      To: this.number,
      Called: this.number,
    };
  }
}

/** The `<Dial action>` form for the caller's leg (added to the call's own parameters). */
export function dialActionParams(attempt: DialAttempt): Record<string, string> {
  const params: Record<string, string> = {
    DialCallStatus: attempt.status,
    DialCallSid: attempt.dialCallSid,
    DialBridged: String(attempt.bridged),
  };
  if (attempt.durationSec !== null) params.DialCallDuration = String(attempt.durationSec);
  return params;
}

/** Relative URLs in TwiML resolve against the document's URL, as in a browser. */
function resolve(url: string, base: string | null): string {
  return base === null ? url : new URL(url, base).toString();
}

/** Waits `ms` (modelled Twilio time); false when the signal aborted it first. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolveWait) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolveWait(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolveWait(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
