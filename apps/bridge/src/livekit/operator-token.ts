import { OPERATOR_ATTRIBUTE } from '@callbridge/room-contract';
import { AccessToken, TrackSource } from 'livekit-server-sdk';

/** `listen`: hidden, subscribe-only. `takeover`: may also publish a microphone into the call. */
export type OperatorMode = 'listen' | 'takeover';

/**
 * A LiveKit token for an operator's browser, for one call room and a short life (only the join
 * uses it). Listening is hidden (agents and other participants do not see it) and cannot publish
 * anything, data included; take-over may publish a microphone and is visible.
 */
export async function operatorToken(
  livekit: { apiKey: string; apiSecret: string },
  opts: { room: string; identity: string; name: string; mode: OperatorMode; ttlS: number },
): Promise<string> {
  const at = new AccessToken(livekit.apiKey, livekit.apiSecret, {
    identity: opts.identity,
    name: opts.name,
    ttl: opts.ttlS,
    attributes: { [OPERATOR_ATTRIBUTE]: opts.mode },
  });
  const listen = opts.mode === 'listen';
  at.addGrant({
    room: opts.room,
    roomJoin: true,
    canSubscribe: true,
    canPublish: !listen,
    canPublishSources: listen ? [] : [TrackSource.MICROPHONE],
    canPublishData: false,
    canUpdateOwnMetadata: false,
    hidden: listen,
  });
  return at.toJwt();
}
