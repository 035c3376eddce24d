import { connectStreamTwiml, createStreamToken } from '@callbridge/twilio-media';
import type { BridgeConfig } from '../config.js';

/**
 * `<Connect><Stream>` into the call's room with a fresh single-use stream token, then a
 * `<Redirect>` to /twilio/stream-ended for when the stream ends with the call still up. The voice
 * webhook answers with it, and so does a failed transfer's `<Dial action>` (same call, new stream).
 */
export function connectCallTwiml(
  config: BridgeConfig,
  callSid: string,
  opts: {
    /** Said first (the recording notice at call start; not again when a failed transfer comes back). */
    sayFirst?: string;
  } = {},
): string {
  const streamToken = createStreamToken({
    secret: config.streamToken.secret,
    callSid,
    ttlMs: config.streamToken.ttlMs,
  });
  return connectStreamTwiml({
    streamUrl: config.streamUrl,
    parameters: { callSid, streamToken },
    afterStreamUrl: `${config.publicUrl}/twilio/stream-ended`,
    sayFirst: opts.sayFirst,
  });
}
