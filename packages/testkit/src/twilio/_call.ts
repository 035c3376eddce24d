/**
 * One simulated phone call, run the way Twilio runs an inbound call: request the voice webhook,
 * execute the TwiML verbs in order, hold a `<Connect><Stream>` open until someone ends it, then
 * carry on with the remaining verbs and report the final status to the status callback URL. The
 * streams themselves, and what the caller hears and does on them, are in _call-media.ts.
 */
import type { CallStatus } from '@callbridge/twilio-media';
import { CallMedia, type CallMediaSetup } from './_call-media.js';
import { CallStatusReports, type CallStatusSetup } from './_call-status.js';
import { dialActionParams, runDial, type DialAttempt, type DialCallees } from './_dial.js';
import type { FormPostResult, SignatureMode } from './_signed-post.js';
import { fetchTwiml } from './_twiml-fetch.js';
import { pollFor } from './_poll.js';
import {
  type ParsedTwiml,
  readTwiml,
  streamInstruction,
  type StreamInstruction,
  type TwimlNode,
} from './_twiml-reader.js';

export interface CallEnd {
  status: CallStatus;
  /** Whole seconds from answer to end; null for calls never answered (`<Reject>`). */
  durationSec: number | null;
}

/** What the simulator needs to run a call; assembled by TwilioSimulator. */
export interface CallSetup extends Omit<CallMediaSetup, 'accountSid' | 'callSid'>, CallStatusSetup {
  streamSignature: SignatureMode;
  /** Who answers a `<Dial>`ed number (default: a human who answers after 300 ms and presses 1). */
  dialCallees?: DialCallees;
}

export class SimulatedCall extends CallMedia {
  readonly from: string;
  readonly to: string;
  /** HTTP outcome of the voice webhook, or why it could not be reached. */
  webhook: FormPostResult | null = null;
  twiml: ParsedTwiml | null = null;
  /** Why the webhook's answer was not TwiML Twilio could run (Twilio's error 12100 territory). */
  twimlError: string | null = null;
  /** Everything `<Say>` spoke, before and after the stream. */
  readonly said: string[] = [];
  readonly dialed: string[] = [];
  /** Every `<Dial>` run, with its outcome and what the called party heard, in order. */
  readonly dials: DialAttempt[] = [];
  /** URLs of `<Redirect>`s followed, in order. */
  readonly redirects: string[] = [];
  private webhookForm: Record<string, string> = {};
  /** The URL of the TwiML document running (relative URLs in it resolve against this). */
  private documentUrl: string | null = null;
  private dialing: AbortController | null = null;
  /** Counts REST redirects: a verb still running from a replaced document stops there. */
  private generation = 0;
  rejected: 'busy' | 'rejected' | null = null;
  /** Verbs this simulator does not execute (recorded, skipped). */
  readonly unsupportedVerbs: string[] = [];
  /** Resolves once the call is over and its final status callback (if any) was posted. */
  readonly ended: Promise<CallEnd>;

  private readonly setup: CallSetup;
  private callerHungUp = false;
  private hasEnded = false;
  private readonly status: CallStatusReports;
  private resolveEnded!: (end: CallEnd) => void;

  constructor(setup: CallSetup) {
    super({ ...setup, callSid: setup.identity.callSid, accountSid: setup.identity.accountSid });
    this.setup = setup;
    this.status = new CallStatusReports(setup);
    this.from = setup.identity.from;
    this.to = setup.identity.to;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** performance.now() when the voice webhook was sent, and when its answer arrived. */
  webhookSentAtMs = 0;
  webhookAnsweredAtMs = 0;

  // ---- what the caller does ---------------------------------------------------------------

  /** The caller hangs up: `stop`, socket closed, final status posted. Safe to call twice. */
  async hangup(): Promise<CallEnd> {
    this.callerHungUp = true;
    // During a <Dial> the caller's leg has no stream: hanging up ends the dial (and the call).
    if (this.dialing) this.dialing.abort();
    else if (this.stream) await this.stream.hangup();
    return this.ended;
  }

  /**
   * The application cancels the ringing dialled call through the REST API (`calls(DialCallSid)
   * .update({status: 'canceled'})`): the `<Dial>` ends with DialCallStatus `canceled`.
   */
  cancelDial(): void {
    this.dialing?.abort();
  }

  /** Resolves once `count` Media Streams have started on this call (e.g. 2 after a failed transfer). */
  async waitForStream(count: number, timeoutMs = 20_000): Promise<string> {
    return pollFor(() => this.streamSids[count - 1], {
      timeoutMs,
      giveUp: () => this.hasEnded,
      failure: () => `call ${this.callSid}: stream ${count} did not start (${this.streamSids.length} so far)`,
    });
  }

  /** Posts a (signed) status callback for this call now, e.g. `in-progress`. */
  postStatus(status: CallStatus, extraParams?: Record<string, string>): Promise<FormPostResult> | null {
    return this.status.post(status, extraParams);
  }

  // ---- how Twilio runs it (driven by TwilioSimulator) ---------------------------------------

  /**
   * Requests the voice webhook and runs the call in the background. Resolves as soon as the call
   * is either streaming (`start` sent) or over.
   */
  async place(voiceUrl: string, form: Record<string, string>, signature: SignatureMode): Promise<void> {
    this.webhookForm = form;
    this.documentUrl = voiceUrl;
    this.webhookSentAtMs = performance.now();
    const fetched = await fetchTwiml({
      url: voiceUrl,
      authToken: this.setup.authToken,
      params: form,
      signature,
      rewriteUrl: this.setup.rewriteUrl,
    });
    this.webhook = fetched.response;
    this.webhookAnsweredAtMs = fetched.answeredAtMs;
    if (!fetched.twiml) {
      // Twilio would say "an application error has occurred" and hang up.
      this.twimlError = fetched.twimlError ?? this.twimlError;
      this.status.answered();
      return this.end('completed');
    }
    this.twiml = fetched.twiml;
    await this.execute(this.twiml.verbs);
  }

  /** Opens a stream without a webhook (as if TwiML had asked for it), for attack/replay tests. */
  async connectDirect(stream: StreamInstruction, signature: SignatureMode): Promise<void> {
    this.status.answered();
    const opened = await this.openStream(stream, signature);
    if (!opened) return this.end('completed');
    void this.awaitStreamThen([]);
  }

  /** Runs verbs until a stream opens (then continues in the background) or the call ends. */
  private async execute(verbs: TwimlNode[]): Promise<void> {
    for (const [i, verb] of verbs.entries()) {
      if (this.callerHungUp) return this.end('completed');
      if (verb.name === 'Reject') {
        this.rejected = verb.attributes.reason === 'busy' ? 'busy' : 'rejected';
        // Per Twilio's <Reject> docs: never answered, status busy or no-answer.
        return this.end(this.rejected === 'busy' ? 'busy' : 'no-answer');
      }
      this.status.answered();
      switch (verb.name) {
        case 'Say':
          this.said.push(verb.text);
          break;
        case 'Pause':
        case 'Play':
          break;
        case 'Hangup':
          return this.end('completed');
        case 'Redirect':
          // Twilio requests the URL (POST unless method="GET") with the call's parameters and runs
          // the TwiML it gets back instead of the rest of this document.
          this.redirects.push(verb.text.trim());
          return this.follow(verb.text.trim());
        case 'Dial':
          return this.dial(verb, verbs.slice(i + 1));
        case 'Connect': {
          const streamNode = verb.children.find((c) => c.name === 'Stream');
          if (!streamNode) {
            this.unsupportedVerbs.push(`Connect/${verb.children[0]?.name ?? '(empty)'}`);
            break;
          }
          let instruction: StreamInstruction;
          try {
            instruction = streamInstruction(streamNode);
          } catch (err) {
            this.twimlError = (err as Error).message;
            return this.end('completed');
          }
          if (await this.openStream(instruction, this.setup.streamSignature)) {
            // The caller is now on the stream; the rest of the TwiML runs when it ends.
            void this.awaitStreamThen(verbs.slice(i + 1));
            return;
          }
          break; // a stream that failed to connect: Twilio moves on to the next verb
        }
        default:
          this.unsupportedVerbs.push(verb.name);
      }
    }
    return this.end('completed');
  }

  /** Requests a URL with the call's parameters and runs the TwiML it answers instead. */
  private async follow(url: string, extra: Record<string, string> = {}): Promise<void> {
    const target = this.documentUrl === null ? url : new URL(url, this.documentUrl).toString();
    const fetched = await fetchTwiml({
      url: target,
      authToken: this.setup.authToken,
      params: { ...this.webhookForm, CallStatus: 'in-progress', ...extra },
      signature: 'valid',
      rewriteUrl: this.setup.rewriteUrl,
    });
    if (!fetched.twiml) {
      this.twimlError = fetched.twimlError ?? this.twimlError;
      return this.end('completed');
    }
    this.twiml = fetched.twiml;
    this.documentUrl = target;
    return this.execute(this.twiml.verbs);
  }

  /**
   * `<Dial>`: the caller waits while the number rings (see _dial.ts); then Twilio requests the
   * `action` URL with the outcome and runs its TwiML, or without one goes on with the next verb.
   */
  private async dial(verb: TwimlNode, rest: TwimlNode[]): Promise<void> {
    for (const c of verb.children) if (c.name === 'Number' || c.name === 'Sip') this.dialed.push(c.text);
    if (verb.children.length === 0) this.dialed.push(verb.text);
    this.dialing = new AbortController();
    const generation = this.generation;
    const attempt = await runDial(verb, {
      authToken: this.setup.authToken,
      rewriteUrl: this.setup.rewriteUrl,
      parent: { callSid: this.callSid, accountSid: this.accountSid, from: this.from, to: this.to },
      documentUrl: this.documentUrl,
      callees: this.setup.dialCallees ?? (() => ({ kind: 'human' })),
      signal: this.dialing.signal,
    });
    this.dialing = null;
    this.dials.push(attempt);
    if (this.callerHungUp) return this.end('completed');
    if (generation !== this.generation) return; // replaced through the REST API meanwhile
    const action = verb.attributes.action;
    if (action === undefined) return this.execute(rest);
    return this.follow(action, dialActionParams(attempt));
  }

  private async awaitStreamThen(rest: TwimlNode[]): Promise<void> {
    const generation = this.generation;
    await this.streamEnd();
    if (this.callerHungUp) return this.end('completed');
    // Replaced through the REST API: the new document runs instead of the rest of this one.
    if (generation !== this.generation) return;
    await this.execute(rest);
  }

  /**
   * The application replaced the call's TwiML through the REST API (`calls(sid).update({twiml})`):
   * Twilio stops what the call is doing (a `<Connect><Stream>` gets `stop` and its socket closes)
   * and runs the new document instead of the rest of the old one.
   */
  async redirect(twiml: string): Promise<void> {
    if (this.hasEnded) return;
    let parsed: ParsedTwiml;
    try {
      parsed = readTwiml(twiml);
    } catch (err) {
      this.twimlError = (err as Error).message;
      return this.end('completed');
    }
    this.generation++;
    this.dialing?.abort();
    if (this.stream?.isOpen) await this.stream.hangup();
    this.twiml = parsed;
    this.documentUrl = null;
    await this.execute(parsed.verbs);
  }

  private async end(status: CallStatus): Promise<void> {
    if (this.hasEnded) return;
    this.hasEnded = true;
    this.noStreamOpened();
    const durationSec = this.status.durationSec();
    await this.postStatus(status);
    this.resolveEnded({ status, durationSec });
  }

  protected noStreamReason(): string {
    return (
      this.twimlError ?? (this.twiml ? `TwiML verbs: ${this.twiml.summary.verbs.join(', ')}` : 'no TwiML')
    );
  }
}
