/**
 * The REST side of Twilio's cloud for tests: `calls.create` (place an outbound call), `calls(sid)
 * .update` (hang up, or run new TwiML such as `<Dial>` in place of the current document) and `calls(sid).fetch`, with HTTP
 * Basic auth (AccountSid:AuthToken) like api.twilio.com. An answered call then runs exactly like a
 * simulated inbound one (signed voice webhook, TwiML, Media Streams) with `Direction=outbound-api`;
 * status callbacks follow Twilio's sequence (initiated, ringing, in-progress, then completed, busy,
 * no-answer or failed). Point the `twilio` client at `baseUrl` by rewriting https://api.twilio.com.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallStatus } from '@callbridge/twilio-media';
import { SimulatedCall } from '../_call.js';
import type { DialCallees } from '../_dial.js';
import { newSid } from '../_sids.js';
import { postStatusCallback } from '../_status-callbacks.js';
import { amdSettings, runAsyncAmd } from './_amd.js';
import type { AmdPosted } from './_amd.js';
import type { CalleeDirectory, CalleeScript, OutboundCallRequest } from './_callee.js';
import { callResource, json, notFound, parseCallRequest, readForm, twilioError } from './_rest-api.js';

export interface TwilioRestSimulatorOptions {
  authToken: string;
  /** The account the application authenticates as (its TWILIO_ACCOUNT_SID). Default: a new one. */
  accountSid?: string;
  /** Who answers each call. Default: a human who answers after 300 ms and stays silent. */
  callees?: CalleeDirectory;
  /** Numbers the account owns: `From` must be one of them (Twilio error 21212). Default: any. */
  ownedNumbers?: string[];
  /** Who answers numbers an answered call `<Dial>`s (a transfer). Default: a human who presses 1. */
  dialCallees?: DialCallees;
}

/** One call placed through the API, from request to final status. */
export interface RestCall {
  request: OutboundCallRequest;
  status: CallStatus | 'queued';
  /** The simulated phone call once answered. */
  call: SimulatedCall | null;
  /** Every status callback posted, in order. */
  callbacks: { status: CallStatus; httpStatus: number | null }[];
  /** Asynchronous machine detection's verdict, once posted (`atMs`: when it was sent, performance clock). */
  amd: AmdPosted | null;
  /** Resolves with the final status once the final callback was posted. */
  finished: Promise<CallStatus>;
}

interface RestSimulatorEvents {
  /** A call was answered and is streaming (or ended straight away). */
  answered: [RestCall];
  finished: [RestCall];
}

export class TwilioRestSimulator extends EventEmitter<RestSimulatorEvents> {
  readonly authToken: string;
  readonly accountSid: string;
  readonly calls = new Map<string, RestCall>();
  private server: Server | null = null;
  private port = 0;
  private readonly callees: CalleeDirectory;
  private readonly ownedNumbers: string[] | undefined;
  private readonly dialCallees: DialCallees | undefined;

  constructor(opts: TwilioRestSimulatorOptions) {
    super();
    this.authToken = opts.authToken;
    this.accountSid = opts.accountSid ?? newSid('AC');
    this.callees = opts.callees ?? (() => ({ answer: 'human' }));
    this.ownedNumbers = opts.ownedNumbers;
    this.dialCallees = opts.dialCallees;
  }

  /** http://127.0.0.1:<port>: what replaces https://api.twilio.com. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Resolves with the next call placed (or an existing one by CallSid). */
  waitForCall(predicate: (c: RestCall) => boolean = () => true, timeoutMs = 10_000): Promise<RestCall> {
    for (const c of this.calls.values()) if (predicate(c)) return Promise.resolve(c);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching outbound call was placed')), timeoutMs);
      const check = () => {
        for (const c of this.calls.values()) {
          if (predicate(c)) {
            clearTimeout(timer);
            this.off('answered', check);
            this.off('finished', check);
            resolve(c);
            return;
          }
        }
      };
      this.on('answered', check);
      this.on('finished', check);
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.calls.values()].map((c) => (c.call ? c.call.hangup().catch(() => undefined) : undefined)),
    );
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  // ---- HTTP -------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const base = `/2010-04-01/Accounts/${this.accountSid}`;
    if (!this.authorized(req)) {
      return twilioError(res, { status: 401, code: 20003, message: 'Authenticate' });
    }
    const form = await readForm(req);
    if (req.method === 'POST' && url.pathname === `${base}/Calls.json`) return this.create(form, res);
    const one = new RegExp(`^${base}/Calls/(CA[0-9a-f]{32})\\.json$`).exec(url.pathname);
    const rest = one ? this.calls.get(one[1]!) : undefined;
    if (one && !rest) return twilioError(res, notFound(url.pathname));
    if (rest && req.method === 'GET') return json(res, 200, this.resource(rest));
    if (rest && req.method === 'POST') return this.update(rest, form, res);
    return twilioError(res, notFound(url.pathname));
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    return header === expected;
  }

  private create(form: Record<string, string[]>, res: ServerResponse): void {
    const request = parseCallRequest(form, this.ownedNumbers);
    if ('code' in request) return twilioError(res, request);
    let finish!: (s: CallStatus) => void;
    const rest: RestCall = {
      request,
      status: 'queued',
      call: null,
      callbacks: [],
      amd: null,
      finished: new Promise((r) => (finish = r)),
    };
    this.calls.set(request.callSid, rest);
    json(res, 201, this.resource(rest));
    void this.run(rest, this.callees(request), finish);
  }

  private update(rest: RestCall, form: Record<string, string[]>, res: ServerResponse): void {
    const status = form.Status?.[0];
    const twiml = form.Twiml?.[0];
    if (status === 'completed' || status === 'canceled') {
      void rest.call?.hangup();
    } else if (twiml !== undefined) {
      // New TwiML for the live call: it stops what it is doing and runs this instead.
      void rest.call?.redirect(twiml);
    } else {
      return twilioError(res, {
        status: 400,
        code: 20001,
        message: 'Update needs Status=completed or Twiml',
      });
    }
    json(res, 200, this.resource(rest));
  }

  // ---- the call ---------------------------------------------------------------------------

  private async run(rest: RestCall, callee: CalleeScript, finish: (s: CallStatus) => void): Promise<void> {
    const { request } = rest;
    const wants = (event: string) => request.statusCallbackEvents.includes(event);
    const ringMs = callee.ringMs ?? 300;
    await sleep(20);
    if ('outcome' in callee && callee.outcome === 'failed') {
      await this.callback(rest, 'failed');
      return this.finished(rest, 'failed', finish);
    }
    if (wants('initiated')) await this.callback(rest, 'initiated');
    rest.status = 'ringing';
    if (wants('ringing')) await this.callback(rest, 'ringing');
    await sleep(ringMs);
    if ('outcome' in callee) {
      await this.callback(rest, callee.outcome);
      return this.finished(rest, callee.outcome, finish);
    }
    rest.status = 'in-progress';
    if (wants('answered')) await this.callback(rest, 'in-progress');
    const call = new SimulatedCall({
      identity: {
        accountSid: this.accountSid,
        callSid: request.callSid,
        from: request.from,
        to: request.to,
        direction: 'outbound-api',
      },
      authToken: this.authToken,
      statusCallbackUrl: request.statusCallback,
      streamSignature: 'valid',
      rewriteUrl: (u) => u,
      clock: undefined,
      keepHeard: true,
      dialCallees: this.dialCallees,
    });
    rest.call = call;
    const form: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: request.callSid,
      CallStatus: 'in-progress',
      Called: request.to,
      Caller: request.from,
      Direction: 'outbound-api',
      From: request.from,
      To: request.to,
    };
    const amd = amdSettings(request.form);
    // Synchronous detection answers the webhook with the verdict; asynchronous posts it later.
    if (amd && !amd.async) form.AnsweredBy = callee.answer === 'machine' ? 'machine_start' : 'human';
    void call.ended.then((end) => {
      rest.callbacks.push({ status: end.status, httpStatus: null });
      this.finished(rest, end.status, finish);
    });
    await call.place(request.url ?? '', form, 'valid');
    this.emit('answered', rest);
    if (amd?.async) {
      const identity = { accountSid: this.accountSid, authToken: this.authToken };
      void runAsyncAmd({ call, settings: amd, voice: callee.voice ?? {}, ...identity }).then(
        (posted) => (rest.amd = posted),
      );
    }
    if (callee.onAnswer) await callee.onAnswer(call);
  }

  private async callback(rest: RestCall, status: CallStatus): Promise<void> {
    if (rest.request.statusCallback === null) {
      rest.callbacks.push({ status, httpStatus: null });
      return;
    }
    const result = await postStatusCallback({
      url: rest.request.statusCallback,
      authToken: this.authToken,
      call: {
        accountSid: this.accountSid,
        callSid: rest.request.callSid,
        from: rest.request.from,
        to: rest.request.to,
        direction: 'outbound-api',
      },
      status,
      sequenceNumber: rest.callbacks.length,
    });
    rest.callbacks.push({ status, httpStatus: result.ok ? result.status : null });
  }

  private finished(rest: RestCall, status: CallStatus, finish: (s: CallStatus) => void): void {
    rest.status = status;
    finish(status);
    this.emit('finished', rest);
  }

  private resource(rest: RestCall): Record<string, unknown> {
    return callResource(this.accountSid, rest.request, rest.status, rest.amd?.answeredBy ?? null);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
