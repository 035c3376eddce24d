import { CloseCode, verifyStreamToken, type StartMessage } from '@callbridge/twilio-media';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { CallEntry, CallOutcome, CallRegistry } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import type { SharedNonces } from '../records/shared-nonces.js';
import type { TwilioStream } from './twilio-stream.js';

export interface StreamCheck {
  config: Pick<BridgeConfig, 'streamToken'>;
  registry: CallRegistry;
}

export interface StreamAttach {
  registry: CallRegistry;
  lifecycle: Pick<CallLifecycle, 'handOff'>;
  /** Whether the session ended meanwhile (its socket closed while the call was looked up). */
  ended: boolean;
  /** Ends the call the stream attaches to (the registry's way to end it from outside). */
  end: (outcome: CallOutcome, reason?: string) => Promise<void>;
  /** The session that carried the call before a failed transfer took this stream. */
  onHandedOver: () => void;
}

function refuse(stream: TwilioStream, reason: string, detail: string): undefined {
  stream.refuse(reason, detail, CloseCode.policyViolation);
  return undefined;
}

/** A stream token's single-use part, once its signature, call and expiry passed. */
export interface AcceptedToken {
  nonce: string;
  expiresAtMs: number;
}

/**
 * A stream's `start`: checks its token (once only on this instance). Once it passes, the stream's
 * messages are accepted; undefined when it was refused.
 */
export function acceptStream(
  stream: TwilioStream,
  msg: StartMessage,
  { config, registry }: StreamCheck,
): AcceptedToken | undefined {
  const { callSid, customParameters } = msg.start;
  const secret = config.streamToken.secret;
  const verdict = verifyStreamToken({ secret, token: customParameters?.streamToken, callSid });
  if (!verdict.ok) refuse(stream, `stream_token_${verdict.reason}`, 'stream token refused');
  else if (!registry.claimNonce(verdict.nonce, verdict.expiresAtMs))
    refuse(stream, 'stream_token_replayed', 'stream token already used');
  else {
    // The token names this call: its messages pass from now on (caller audio is kept while the
    // call is looked up and joined).
    stream.accept(msg.streamSid);
    return { nonce: verdict.nonce, expiresAtMs: verdict.expiresAtMs };
  }
  return undefined;
}

/**
 * With bridges sharing PostgreSQL, the accepted token's nonce is claimed for all of them: a token
 * another instance already used is refused (false). Records that cannot be reached do not end a
 * call this instance answered (its own claim stands; no other instance can take the call without
 * the records either).
 */
export async function claimForAllBridges(
  stream: TwilioStream,
  token: AcceptedToken,
  nonces: Pick<SharedNonces, 'claim'> | undefined,
): Promise<boolean> {
  if (!nonces) return true;
  try {
    if (await nonces.claim(token.nonce, token.expiresAtMs)) return true;
  } catch (err) {
    stream.log.warn({ err: (err as Error).message }, 'shared stream-token check unavailable');
    return true;
  }
  refuse(stream, 'stream_token_replayed', 'stream token already used on another bridge instance');
  return false;
}

/**
 * Attaches an accepted stream to the call it names (answered here or, adopted, on another bridge);
 * synchronous, so nothing ends the session between this and its setup. Returns the call, or
 * undefined when the stream was refused, handed to the call's earlier session, or the session
 * ended meanwhile.
 */
export function attachStreamTo(
  call: CallEntry | undefined,
  stream: TwilioStream,
  streamSid: string,
  a: StreamAttach,
): CallEntry | undefined {
  if (!call) return refuse(stream, 'unknown_call', 'no answered call with this CallSid');
  if (a.ended) {
    // The socket closed while the records were read: an adopted call stays with whoever gets
    // Twilio's next request.
    if (!call.streamSid && !call.handover && !call.streamTimer)
      a.lifecycle.handOff(call, 'its stream closed before it started');
    return undefined;
  }
  // A failed transfer's new stream: the session that carried the call (still in the room) takes it.
  if (call.handover && !call.streamSid) {
    if (call.handover(stream, streamSid)) return void a.onHandedOver();
    return refuse(stream, 'unknown_call', 'the call ended before its stream came back');
  }
  if (!a.registry.attachStream(call, streamSid, a.end))
    return refuse(stream, 'duplicate_stream', `call already streams as ${call.streamSid}`);
  return call;
}
