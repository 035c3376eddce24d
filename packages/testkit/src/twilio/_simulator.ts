/**
 * Stands in for Twilio's cloud in tests: places inbound calls against an application's voice
 * webhook exactly as Twilio documents it (signed form POST, TwiML answer, signed Media Streams
 * WebSocket, status callbacks).
 */
import { type CallStatus } from '@callbridge/twilio-media';
import { type CallEnd, SimulatedCall } from './_call.js';
import type { DialCallees } from './_dial.js';
import type { FrameClock } from './_frame-clock.js';
import { newSid } from './_sids.js';
import type { FormPostResult, SignatureMode } from './_signed-post.js';
import { postStatusCallback } from './_status-callbacks.js';

export interface TwilioSimulatorOptions {
  /** The account auth token every request is signed with (the application's TWILIO_AUTH_TOKEN). */
  authToken: string;
  accountSid?: string;
  /** Default URL rewrite for every call, e.g. public https://host → http://127.0.0.1:port. */
  rewriteUrl?: (url: string) => string;
  /** Clock for media pacing; default is the process-wide 20 ms clock. */
  clock?: FrameClock;
  /** Who answers numbers the application `<Dial>`s. Default: a human who answers after 300 ms and presses 1. */
  dialCallees?: DialCallees;
}

export interface InboundCallOptions {
  /** The voice URL configured on the number (what gets signed); the webhook goes here. */
  voiceUrl: string;
  from: string;
  to: string;
  callSid?: string;
  /** The number's status callback URL: receives the final status with CallDuration. */
  statusCallbackUrl?: string;
  /** Added to (or overriding) the voice webhook form. */
  extraParams?: Record<string, string>;
  /** X-Twilio-Signature of the voice webhook. Default 'valid'. */
  signature?: SignatureMode;
  /** X-Twilio-Signature of the Media Streams upgrade. Default 'valid'. */
  streamSignature?: SignatureMode;
  /** Where packets actually go for a signed URL; overrides the simulator default. */
  rewriteUrl?: (url: string) => string;
  /** Keep the heard timeline (default true; load tests may turn it off to save memory). */
  keepHeard?: boolean;
  /**
   * Time between the webhook's TwiML answer and the Media Stream's WebSocket connect (Twilio
   * connects after it has fetched and parsed the TwiML, and on a real call after its own media
   * setup). Default 0: the stream opens at once, the worst case for a bridge still setting up.
   */
  streamGapMs?: number;
  /** Who answers numbers this call `<Dial>`s; overrides the simulator default. */
  dialCallees?: DialCallees;
}

export interface DirectStreamOptions {
  /** The stream URL, as it would appear in `<Stream url>` (what gets signed). */
  streamUrl: string;
  parameters?: Record<string, string>;
  callSid?: string;
  from?: string;
  to?: string;
  signature?: SignatureMode;
  rewriteUrl?: (url: string) => string;
  keepHeard?: boolean;
}

export class TwilioSimulator {
  readonly authToken: string;
  readonly accountSid: string;
  private readonly rewriteUrl: (url: string) => string;
  private readonly clock: FrameClock | undefined;
  private readonly dialCallees: DialCallees | undefined;
  private readonly live = new Set<SimulatedCall>();

  constructor(opts: TwilioSimulatorOptions) {
    if (!opts.authToken)
      throw new TypeError('TwilioSimulator: authToken is required (it signs every request)');
    this.authToken = opts.authToken;
    this.accountSid = opts.accountSid ?? newSid('AC');
    this.rewriteUrl = opts.rewriteUrl ?? ((u) => u);
    this.clock = opts.clock;
    this.dialCallees = opts.dialCallees;
  }

  /** Calls not yet ended. */
  get activeCalls(): readonly SimulatedCall[] {
    return [...this.live];
  }

  /**
   * A caller dials the number: POSTs the voice webhook and runs the TwiML. Resolves once the call
   * is streaming or already over (webhook refused, `<Say><Hangup>`, `<Reject>`…). Never rejects
   * for anything the application does; inspect the returned call.
   */
  async placeInboundCall(opts: InboundCallOptions): Promise<SimulatedCall> {
    assertAbsoluteUrl('voiceUrl', opts.voiceUrl, ['http:', 'https:']);
    if (opts.statusCallbackUrl !== undefined) {
      assertAbsoluteUrl('statusCallbackUrl', opts.statusCallbackUrl, ['http:', 'https:']);
    }
    const call = this.newCall({
      callSid: opts.callSid,
      from: opts.from,
      to: opts.to,
      statusCallbackUrl: opts.statusCallbackUrl ?? null,
      streamSignature: opts.streamSignature ?? 'valid',
      rewriteUrl: opts.rewriteUrl,
      keepHeard: opts.keepHeard,
      streamGapMs: opts.streamGapMs,
      dialCallees: opts.dialCallees,
    });
    const form = { ...voiceWebhookForm(call), ...opts.extraParams };
    await call.place(opts.voiceUrl, form, opts.signature ?? 'valid');
    return call;
  }

  /**
   * Opens a Media Stream with no webhook before it, as an attacker or a replayed TwiML would.
   * For security tests of the stream endpoint.
   */
  async openStream(opts: DirectStreamOptions): Promise<SimulatedCall> {
    assertAbsoluteUrl('streamUrl', opts.streamUrl, ['ws:', 'wss:']);
    const call = this.newCall({
      callSid: opts.callSid,
      from: opts.from ?? '+15005550006',
      to: opts.to ?? '+15005550001',
      statusCallbackUrl: null,
      streamSignature: opts.signature ?? 'valid',
      rewriteUrl: opts.rewriteUrl,
      keepHeard: opts.keepHeard,
    });
    await call.connectDirect(
      {
        url: opts.streamUrl,
        parameters: opts.parameters ?? {},
        name: null,
        statusCallback: null,
        statusCallbackMethod: 'POST',
      },
      opts.signature ?? 'valid',
    );
    return call;
  }

  /** Posts a signed call status callback, e.g. to test a status endpoint directly. */
  postStatusCallback(opts: {
    url: string;
    callSid: string;
    from: string;
    to: string;
    status: CallStatus;
    durationSec?: number;
    signature?: SignatureMode;
    extraParams?: Record<string, string>;
  }): Promise<FormPostResult> {
    return postStatusCallback({
      url: opts.url,
      authToken: this.authToken,
      call: { accountSid: this.accountSid, callSid: opts.callSid, from: opts.from, to: opts.to },
      status: opts.status,
      durationSec: opts.durationSec,
      signature: opts.signature,
      rewriteUrl: this.rewriteUrl,
      extraParams: opts.extraParams,
    });
  }

  /** Hangs up every live call (test teardown). */
  async hangupAll(): Promise<CallEnd[]> {
    return Promise.all([...this.live].map((c) => c.hangup()));
  }

  private newCall(opts: {
    callSid: string | undefined;
    from: string;
    to: string;
    statusCallbackUrl: string | null;
    streamSignature: SignatureMode;
    rewriteUrl: ((url: string) => string) | undefined;
    keepHeard: boolean | undefined;
    streamGapMs?: number;
    dialCallees?: DialCallees;
  }): SimulatedCall {
    const call = new SimulatedCall({
      identity: {
        accountSid: this.accountSid,
        callSid: opts.callSid ?? newSid('CA'),
        from: opts.from,
        to: opts.to,
        direction: 'inbound',
      },
      authToken: this.authToken,
      statusCallbackUrl: opts.statusCallbackUrl,
      streamSignature: opts.streamSignature,
      rewriteUrl: opts.rewriteUrl ?? this.rewriteUrl,
      clock: this.clock,
      keepHeard: opts.keepHeard ?? true,
      streamGapMs: opts.streamGapMs ?? 0,
      dialCallees: opts.dialCallees ?? this.dialCallees,
    });
    this.live.add(call);
    void call.ended.then(() => this.live.delete(call));
    return call;
  }
}

/** The form Twilio posts to the voice URL for a ringing inbound call. */
function voiceWebhookForm(call: SimulatedCall): Record<string, string> {
  const form: Record<string, string> = {
    AccountSid: call.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.callSid,
    CallStatus: 'ringing',
    Called: call.to,
    Caller: call.from,
    Direction: 'inbound',
    From: call.from,
    To: call.to,
  };
  // Twilio adds what it knows about the numbers' geography; the country is what it reliably has.
  const fromCountry = countryOf(call.from);
  const toCountry = countryOf(call.to);
  if (fromCountry) form.FromCountry = form.CallerCountry = fromCountry;
  if (toCountry) form.ToCountry = form.CalledCountry = toCountry;
  return form;
}

/** NANP numbers (+1) are the only ones the simulator places geographically; enough for tests. */
function countryOf(number: string): string | null {
  return /^\+1[2-9]\d{9}$/.test(number) ? 'US' : null;
}

function assertAbsoluteUrl(what: string, url: string, schemes: string[]): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${what} "${url}" is not an absolute URL`);
  }
  if (!schemes.includes(parsed.protocol)) {
    throw new TypeError(`${what} "${url}" must use ${schemes.map((s) => s.replace(':', '')).join(' or ')}`);
  }
}
