/**
 * One simulated phone call, run the way Twilio runs an inbound call: request the voice webhook,
 * execute the TwiML verbs in order, hold a `<Connect><Stream>` open until someone ends it, then
 * carry on with the remaining verbs and report the final status to the status callback URL.
 */
import { EventEmitter } from 'node:events';
import type { CallStatus } from '@callbridge/twilio-media';
import { writeWav } from '../audio-fixtures/index.js';
import { dialActionParams, runDial, type DialAttempt, type DialCallees } from './_dial.js';
import type { CloseInfo, SimulatedCallEvents } from './_events.js';
import type { FrameClock } from './_frame-clock.js';
import { MediaStream } from './_media-stream.js';
import { newSid } from './_sids.js';
import { type FormPostResult, postSignedForm, type SignatureMode } from './_signed-post.js';
import { type CallIdentity, postStatusCallback, postStreamStatus } from './_status-callbacks.js';
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
export interface CallSetup {
  identity: Required<CallIdentity>;
  authToken: string;
  statusCallbackUrl: string | null;
  streamSignature: SignatureMode;
  rewriteUrl: (url: string) => string;
  clock: FrameClock | undefined;
  keepHeard: boolean;
  /** Wait between the TwiML answer and the stream's connect (see InboundCallOptions). */
  streamGapMs?: number;
  /** Who answers a `<Dial>`ed number (default: a human who answers after 300 ms and presses 1). */
  dialCallees?: DialCallees;
}

export class SimulatedCall extends EventEmitter<SimulatedCallEvents> {
  readonly callSid: string;
  readonly accountSid: string;
  readonly from: string;
  readonly to: string;
  /** HTTP outcome of the voice webhook, or why it could not be reached. */
  webhook: FormPostResult | null = null;
  twiml: ParsedTwiml | null = null;
  /** Why the webhook's answer was not TwiML Twilio could run (Twilio's error 12100 territory). */
  twimlError: string | null = null;
  /** The `<Stream>` Twilio was told to open, if any. */
  streamInstruction: StreamInstruction | null = null;
  streamSid: string | null = null;
  /** Set when the stream's WebSocket upgrade failed (e.g. 403 for a bad signature). */
  streamRefused: { httpStatus: number | null; error: string } | null = null;
  /** Everything `<Say>` spoke, before and after the stream. */
  readonly said: string[] = [];
  readonly dialed: string[] = [];
  /** Every `<Dial>` run, with its outcome and what the called party heard, in order. */
  readonly dials: DialAttempt[] = [];
  /** The StreamSid of every Media Stream opened, in order (a new one after each `<Connect>`). */
  readonly streamSids: string[] = [];
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
  /** Resolves when the media stream closes (immediately, `by: 'never-opened'`, if there is none). */
  readonly closed: Promise<CloseInfo>;

  private readonly setup: CallSetup;
  private stream: MediaStream | null = null;
  private callerHungUp = false;
  private hasEnded = false;
  private answeredAtMs: number | null = null;
  private statusSequence = 0;
  private resolveEnded!: (end: CallEnd) => void;
  private resolveClosed!: (info: CloseInfo) => void;

  constructor(setup: CallSetup) {
    super();
    this.setup = setup;
    this.callSid = setup.identity.callSid;
    this.accountSid = setup.identity.accountSid;
    this.from = setup.identity.from;
    this.to = setup.identity.to;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** performance.now() when the voice webhook was sent, and when its answer arrived. */
  webhookSentAtMs = 0;
  webhookAnsweredAtMs = 0;

  // ---- stream state, readable at any time -------------------------------------------------

  get marksEchoed(): readonly string[] {
    return this.stream?.marksEchoed ?? [];
  }
  /** Wall-clock times (performance.now) at which a `clear` arrived. */
  get clears(): readonly number[] {
    return this.stream?.clears ?? [];
  }
  get violations(): readonly string[] {
    return this.stream?.violations ?? [];
  }
  /** Wall-clock times at which the caller started hearing audio after silence. */
  get audioOnsets(): readonly number[] {
    return this.stream?.audioOnsets ?? [];
  }
  /** Resolves with the first moment after `afterMs` (performance.now) the caller started hearing audio. */
  async waitForAudioOnset(afterMs: number, timeoutMs = 20_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const onset = this.audioOnsets.find((t) => t > afterMs);
      if (onset !== undefined) return onset;
      if (performance.now() > deadline)
        throw new Error(`call ${this.callSid}: no audio reached the caller in time`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Wall-clock times at which the caller started sending audio after silence. */
  get sentOnsets(): readonly number[] {
    return this.stream?.sentOnsets ?? [];
  }
  /** Gaps (ms) between consecutive media messages from the server within a stretch of audio. */
  get mediaGapsMs(): readonly number[] {
    return this.stream?.mediaGapsMs ?? [];
  }
  /** 20 ms frames heard as (partial) silence mid-utterance because audio arrived late. */
  get underrunFrames(): number {
    return this.stream?.underrunFrames ?? 0;
  }
  get bufferedPlaybackMs(): number {
    return this.stream?.bufferedPlaybackMs ?? 0;
  }
  /** Server audio the caller has heard so far, in ms (the silence between utterances not counted). */
  get playedAudioMs(): number {
    return this.stream?.playedAudioMs ?? 0;
  }
  /** performance.now() when `start` was sent; the heard timeline starts one tick (≤ 20 ms) later. */
  get streamStartedAtMs(): number {
    return this.stream?.startedAtMs ?? 0;
  }
  get heardStartedAtMs(): number {
    return this.stream?.heardStartedAtMs ?? 0;
  }

  // ---- what the caller does ---------------------------------------------------------------

  /** Speaks into the phone: 8 kHz PCM, sent in real time. Resolves when the last frame went out. */
  sendAudio(pcm8k: Int16Array): Promise<void> {
    return this.requireStream('sendAudio').sendAudio(pcm8k);
  }

  /** Presses keys; one `dtmf` message per key. */
  sendDtmf(digits: string, gapMs?: number): Promise<void> {
    return this.requireStream('sendDtmf').sendDtmf(digits, gapMs);
  }

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
    const deadline = performance.now() + timeoutMs;
    while (this.streamSids.length < count) {
      if (this.hasEnded || performance.now() > deadline)
        throw new Error(
          `call ${this.callSid}: stream ${count} did not start (${this.streamSids.length} so far)`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.streamSids[count - 1]!;
  }

  /** The media connection dies without `stop` (Twilio then carries on with the next verb). */
  async dropSocket(): Promise<CloseInfo> {
    return this.requireStream('dropSocket').drop();
  }

  /** The network from the server to Twilio stalls for `ms`, then delivers its backlog at once. */
  stallDownlink(ms: number): void {
    this.requireStream('stallDownlink').stallDownlink(ms);
  }

  /** Sends arbitrary bytes on the media socket, for bad-input tests. */
  sendRaw(data: string | Buffer, opts?: { binary?: boolean }): void {
    this.requireStream('sendRaw').sendRaw(data, opts);
  }

  /** What the caller heard: 8 kHz PCM, one 20 ms frame per tick from stream start (silence included). */
  heardPcm(): Int16Array {
    return this.requireStream('heardPcm').heardPcm();
  }

  saveHeard(path: string): void {
    writeWav(path, this.heardPcm(), 8000);
  }

  /** Posts a (signed) status callback for this call now, e.g. `in-progress`. */
  postStatus(status: CallStatus, extraParams?: Record<string, string>): Promise<FormPostResult> | null {
    if (this.setup.statusCallbackUrl === null) return null;
    const answered = this.answeredAtMs;
    const durationSec =
      status === 'completed' && answered !== null
        ? Math.round((performance.now() - answered) / 1000)
        : undefined;
    return postStatusCallback({
      url: this.setup.statusCallbackUrl,
      authToken: this.setup.authToken,
      call: this.setup.identity,
      status,
      durationSec,
      sequenceNumber: this.statusSequence++,
      rewriteUrl: this.setup.rewriteUrl,
      extraParams,
    });
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
    this.webhook = await postSignedForm({
      url: voiceUrl,
      authToken: this.setup.authToken,
      params: form,
      signature,
      rewriteUrl: this.setup.rewriteUrl,
    });
    this.webhookAnsweredAtMs = performance.now();
    const webhook = this.webhook;
    if (!webhook.ok || webhook.status < 200 || webhook.status >= 300) {
      // Twilio would say "an application error has occurred" and hang up.
      this.answeredAtMs = performance.now();
      return this.end('completed');
    }
    try {
      this.twiml = readTwiml(webhook.body);
    } catch (err) {
      this.twimlError = (err as Error).message;
      this.answeredAtMs = performance.now();
      return this.end('completed');
    }
    await this.execute(this.twiml.verbs);
  }

  /** Opens a stream without a webhook (as if TwiML had asked for it), for attack/replay tests. */
  async connectDirect(stream: StreamInstruction, signature: SignatureMode): Promise<void> {
    this.answeredAtMs = performance.now();
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
      this.answeredAtMs ??= performance.now();
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
    const res = await postSignedForm({
      url: target,
      authToken: this.setup.authToken,
      params: { ...this.webhookForm, CallStatus: 'in-progress', ...extra },
      signature: 'valid',
      rewriteUrl: this.setup.rewriteUrl,
    });
    if (!res.ok || res.status < 200 || res.status >= 300) return this.end('completed');
    try {
      this.twiml = readTwiml(res.body);
    } catch (err) {
      this.twimlError = (err as Error).message;
      return this.end('completed');
    }
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

  private async openStream(instruction: StreamInstruction, signature: SignatureMode): Promise<boolean> {
    this.streamInstruction = instruction;
    const gap = this.setup.streamGapMs ?? 0;
    if (gap > 0) await new Promise((r) => setTimeout(r, gap)); // modelled Twilio time, not a test wait
    const streamSid = newSid('MZ');
    const { stream, outcome } = await MediaStream.open({
      streamUrl: instruction.url,
      parameters: instruction.parameters,
      authToken: this.setup.authToken,
      accountSid: this.accountSid,
      callSid: this.callSid,
      streamSid,
      events: this,
      signature,
      rewriteUrl: this.setup.rewriteUrl,
      clock: this.setup.clock,
      keepHeard: this.setup.keepHeard,
    });
    this.stream = stream;
    this.streamSid = streamSid;
    this.streamSids.push(streamSid);
    void stream.closed.then((info) => this.resolveClosed(info));
    if (!outcome.ok) this.streamRefused = { httpStatus: outcome.httpStatus, error: outcome.error };
    void this.streamStatus(instruction, streamSid, outcome.ok ? 'stream-started' : 'stream-error', outcome);
    return outcome.ok;
  }

  private async awaitStreamThen(rest: TwimlNode[]): Promise<void> {
    const stream = this.stream as MediaStream;
    const generation = this.generation;
    await stream.closed;
    if (this.streamInstruction && this.streamSid) {
      await this.streamStatus(this.streamInstruction, this.streamSid, 'stream-stopped', { ok: true });
    }
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

  private async streamStatus(
    instruction: StreamInstruction,
    streamSid: string,
    event: 'stream-started' | 'stream-stopped' | 'stream-error',
    outcome: { ok: true } | { ok: false; error: string },
  ): Promise<void> {
    if (instruction.statusCallback === null) return;
    await postStreamStatus({
      url: instruction.statusCallback,
      authToken: this.setup.authToken,
      accountSid: this.accountSid,
      callSid: this.callSid,
      streamSid,
      streamName: instruction.name,
      event,
      error: outcome.ok ? undefined : outcome.error,
      rewriteUrl: this.setup.rewriteUrl,
    });
  }

  private async end(status: CallStatus): Promise<void> {
    if (this.hasEnded) return;
    this.hasEnded = true;
    if (!this.stream) {
      this.resolveClosed({
        code: 1006,
        reason: 'no media stream was opened',
        by: 'never-opened',
        atMs: performance.now(),
      });
    }
    const answered = this.answeredAtMs;
    const durationSec = answered === null ? null : Math.round((performance.now() - answered) / 1000);
    await this.postStatus(status);
    this.resolveEnded({ status, durationSec });
  }

  private requireStream(what: string): MediaStream {
    if (this.stream) return this.stream;
    const reason =
      this.twimlError ?? (this.twiml ? `TwiML verbs: ${this.twiml.summary.verbs.join(', ')}` : 'no TwiML');
    throw new Error(`${what}: call ${this.callSid} has no media stream (${reason})`);
  }
}
