/**
 * TwiML documents our webhook answers with, built with the `twilio` package's own VoiceResponse so
 * escaping and attribute names are Twilio's, not ours. Builders throw on bad input, naming it: the
 * inputs come from configuration and code, so a bad value is a bug to surface at once.
 */
import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';

export interface ConnectStreamOptions {
  /**
   * The ws(s) URL Twilio opens the Media Stream to. Twilio only connects to `wss://` in production;
   * `ws://` is accepted for loopback tests. No query string: Twilio refuses it (error 31920), and
   * per-call values belong in `parameters`.
   */
  streamUrl: string;
  /** `<Parameter>`s, echoed back in the `start` message as `start.customParameters`. */
  parameters: Record<string, string>;
  /** Where Twilio posts stream-started / stream-stopped / stream-error events. */
  statusCallback?: string;
  statusCallbackMethod?: 'GET' | 'POST';
  /** Friendly stream name (shows up as StreamName in stream status callbacks). */
  name?: string;
  /**
   * Where Twilio goes when the stream ends while the call is still up: per `<Connect>`'s docs it
   * continues with the next verb, here a `<Redirect>` (POST) so the application decides then
   * (hang up, apologise, dial a transfer target).
   */
  afterStreamUrl?: string;
  /**
   * Said (`<Say>`) before the stream connects, e.g. a recording notice where consent is required.
   * Twilio runs verbs in order, so the caller hears all of it before the stream starts.
   */
  sayFirst?: string;
}

/** `<Response>[<Say>]<Connect><Stream url>…<Parameter/>…</Stream></Connect></Response>`: a bidirectional stream. */
export function connectStreamTwiml(opts: ConnectStreamOptions): string {
  assertStreamUrl(opts.streamUrl);
  if (opts.statusCallback !== undefined) assertHttpUrl('statusCallback', opts.statusCallback);

  const response = new twilio.twiml.VoiceResponse();
  if (opts.sayFirst !== undefined) {
    if (opts.sayFirst.trim().length === 0) throw new TypeError('connectStreamTwiml: sayFirst is empty');
    response.say(opts.sayFirst);
  }
  const attributes: VoiceResponse.StreamAttributes = { url: opts.streamUrl };
  if (opts.name !== undefined) attributes.name = opts.name;
  if (opts.statusCallback !== undefined) attributes.statusCallback = opts.statusCallback;
  if (opts.statusCallbackMethod !== undefined) attributes.statusCallbackMethod = opts.statusCallbackMethod;
  const stream = response.connect().stream(attributes);
  for (const [name, value] of Object.entries(opts.parameters)) {
    if (name.length === 0) throw new TypeError('connectStreamTwiml: a <Parameter> name is empty');
    if (typeof value !== 'string') {
      throw new TypeError(`connectStreamTwiml: <Parameter> "${name}" must be a string, got ${typeof value}`);
    }
    stream.parameter({ name, value });
  }
  if (opts.afterStreamUrl !== undefined) {
    assertHttpUrl('afterStreamUrl', opts.afterStreamUrl);
    response.redirect({ method: 'POST' }, opts.afterStreamUrl);
  }
  return response.toString();
}

export interface SayOptions {
  voice?: VoiceResponse.SayAttributes['voice'];
  language?: VoiceResponse.SayAttributes['language'];
}

/** `<Say>message</Say><Hangup/>`: tell the caller something (busy, sorry) and end the call. */
export function sayAndHangupTwiml(message: string, opts?: SayOptions): string {
  if (message.trim().length === 0) throw new TypeError('sayAndHangupTwiml: message is empty');
  const response = new twilio.twiml.VoiceResponse();
  const attributes: VoiceResponse.SayAttributes = {};
  if (opts?.voice !== undefined) attributes.voice = opts.voice;
  if (opts?.language !== undefined) attributes.language = opts.language;
  response.say(attributes, message);
  response.hangup();
  return response.toString();
}

/** `<Hangup/>`: end the call now. */
export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}

/**
 * `<Reject reason>`: refuse the call without answering it (not billed). The call ends with status
 * `busy` (reason busy) or `no-answer` (reason rejected), per Twilio's `<Reject>` docs.
 */
export function rejectTwiml(reason: 'busy' | 'rejected' = 'rejected'): string {
  const response = new twilio.twiml.VoiceResponse();
  response.reject({ reason });
  return response.toString();
}

export interface DialOptions {
  /** Caller ID shown to the transfer target; must be a number you own in Twilio. */
  callerId?: string;
  /** Seconds to ring the target before giving up (Twilio default 30). */
  timeoutSeconds?: number;
  /** URL Twilio requests when the dialled leg ends; without it the call ends after the transfer. */
  action?: string;
  /** Keep the caller hearing ringback until the target answers. */
  answerOnBridge?: boolean;
  /**
   * `<Number url>`: TwiML run on the called party's end after they answer and before the parties
   * are connected (a whisper; it may `<Gather>` and `<Hangup>` to decline). Numbers only.
   */
  whisperUrl?: string;
}

const e164Pattern = /^\+[1-9][0-9]{1,14}$/;

/** `<Dial>`: transfer the caller to an E.164 number or a `sip:` URI. */
export function dialTwiml(target: string, opts?: DialOptions): string {
  const isSip = /^sips?:/i.test(target);
  if (!isSip && !e164Pattern.test(target)) {
    throw new TypeError(
      `dialTwiml: target "${target}" is neither an E.164 number (+15551234567) nor a sip: URI`,
    );
  }
  if (opts?.callerId !== undefined && !e164Pattern.test(opts.callerId)) {
    throw new TypeError(`dialTwiml: callerId "${opts.callerId}" is not an E.164 number`);
  }
  if (opts?.action !== undefined) assertHttpUrl('action', opts.action);
  if (opts?.whisperUrl !== undefined) {
    assertHttpUrl('whisperUrl', opts.whisperUrl);
    if (isSip) throw new TypeError('dialTwiml: whisperUrl applies to <Number>, not to a sip: target');
  }
  if (
    opts?.timeoutSeconds !== undefined &&
    !(Number.isInteger(opts.timeoutSeconds) && opts.timeoutSeconds > 0)
  ) {
    throw new TypeError(`dialTwiml: timeoutSeconds must be a positive integer, got ${opts.timeoutSeconds}`);
  }

  const response = new twilio.twiml.VoiceResponse();
  const attributes: VoiceResponse.DialAttributes = {};
  if (opts?.callerId !== undefined) attributes.callerId = opts.callerId;
  if (opts?.timeoutSeconds !== undefined) attributes.timeout = opts.timeoutSeconds;
  if (opts?.action !== undefined) attributes.action = opts.action;
  if (opts?.answerOnBridge !== undefined) attributes.answerOnBridge = opts.answerOnBridge;
  const dial = response.dial(attributes);
  if (isSip) dial.sip(target);
  else if (opts?.whisperUrl !== undefined) dial.number({ url: opts.whisperUrl, method: 'POST' }, target);
  else dial.number(target);
  return response.toString();
}

/** Throws unless `url` is a usable `<Stream url>`: absolute ws(s), no query string. */
export function assertStreamUrl(url: string): void {
  const parsed = parseUrl('streamUrl', url);
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:') {
    throw new TypeError(
      `streamUrl "${url}" must use wss:// (or ws:// for local tests), not ${parsed.protocol}`,
    );
  }
  if (url.includes('?')) {
    throw new TypeError(
      `streamUrl "${url}" has a query string; Twilio rejects it. Pass values as <Parameter>s`,
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new TypeError(
      `streamUrl "${url}" carries credentials; Twilio authenticates with X-Twilio-Signature`,
    );
  }
}

export function assertHttpUrl(what: string, url: string): void {
  const parsed = parseUrl(what, url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`${what} "${url}" must be an http(s) URL`);
  }
}

function parseUrl(what: string, url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new TypeError(`${what} "${url}" is not an absolute URL`);
  }
}
