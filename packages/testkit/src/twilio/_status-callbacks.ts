/**
 * Status callbacks Twilio posts about a call (`CallStatus` changes) and about a `<Stream>`
 * (`StreamEvent`), with the parameters its docs list.
 */
import type { CallStatus, StreamEvent } from '@callbridge/twilio-media';
import { type FormPostResult, postSignedForm, rfc2822, type SignatureMode } from './_signed-post.js';

export interface CallIdentity {
  accountSid: string;
  callSid: string;
  from: string;
  to: string;
  direction?: 'inbound' | 'outbound-api' | 'outbound-dial';
}

export interface StatusCallbackPost {
  url: string;
  authToken: string;
  call: CallIdentity;
  status: CallStatus;
  /** Whole seconds since the call was answered; sent with `completed`. */
  durationSec?: number;
  /** Twilio numbers the callbacks of one call from 0. */
  sequenceNumber?: number;
  signature?: SignatureMode;
  rewriteUrl?: (url: string) => string;
  extraParams?: Record<string, string>;
}

/** The form Twilio posts to a call's status callback URL. */
export function callStatusForm(post: Omit<StatusCallbackPost, 'url' | 'authToken'>): Record<string, string> {
  const { call } = post;
  const form: Record<string, string> = {
    AccountSid: call.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.callSid,
    CallStatus: post.status,
    Called: call.to,
    Caller: call.from,
    Direction: call.direction ?? 'inbound',
    From: call.from,
    To: call.to,
    Timestamp: rfc2822(new Date()),
    CallbackSource: 'call-progress-events',
    SequenceNumber: String(post.sequenceNumber ?? 0),
  };
  if (post.durationSec !== undefined) form.CallDuration = String(post.durationSec);
  return { ...form, ...post.extraParams };
}

/** Posts a signed call status callback. Never throws. */
export function postStatusCallback(post: StatusCallbackPost): Promise<FormPostResult> {
  return postSignedForm({
    url: post.url,
    authToken: post.authToken,
    params: callStatusForm(post),
    signature: post.signature,
    rewriteUrl: post.rewriteUrl,
  });
}

export interface StreamStatusPost {
  url: string;
  authToken: string;
  accountSid: string;
  callSid: string;
  streamSid: string;
  streamName: string | null;
  event: StreamEvent;
  error?: string;
  rewriteUrl?: (url: string) => string;
}

/** Posts a signed `<Stream statusCallback>` event. Never throws. */
export function postStreamStatus(post: StreamStatusPost): Promise<FormPostResult> {
  const params: Record<string, string> = {
    AccountSid: post.accountSid,
    CallSid: post.callSid,
    StreamSid: post.streamSid,
    StreamEvent: post.event,
    Timestamp: new Date().toISOString(),
  };
  if (post.streamName !== null) params.StreamName = post.streamName;
  if (post.error !== undefined) params.StreamError = post.error;
  return postSignedForm({ url: post.url, authToken: post.authToken, params, rewriteUrl: post.rewriteUrl });
}
