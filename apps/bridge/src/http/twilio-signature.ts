import { SIGNATURE_HEADER, validateTwilioSignature } from '@callbridge/twilio-media';
import type { RequestHandler } from 'express';
import type { BridgeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';

/**
 * Refuses webhooks Twilio did not sign: 400 without the header, 403 when it does not match. The
 * signature covers the public URL Twilio called (behind a proxy that differs from what we see).
 */
export function requireTwilioSignature(
  config: BridgeConfig,
  metrics: BridgeMetrics,
  log: Logger,
): RequestHandler {
  return (req, res, next) => {
    if (!config.twilio.validateSignatures) return next();
    const signature = req.header(SIGNATURE_HEADER);
    if (!signature) {
      metrics.rejected.inc({ reason: 'signature_missing' });
      log.warn({ path: req.path }, 'webhook without signature refused');
      res.status(400).type('text/plain').send(`missing ${SIGNATURE_HEADER} header`);
      return;
    }
    const ok = validateTwilioSignature({
      authToken: config.twilio.authToken!,
      url: config.publicUrl + req.originalUrl,
      params: (req.body ?? {}) as Record<string, unknown>,
      signature,
    });
    if (!ok) {
      metrics.rejected.inc({ reason: 'signature_invalid' });
      log.warn({ path: req.path }, 'webhook with a bad signature refused');
      res.status(403).type('text/plain').send('signature does not match');
      return;
    }
    next();
  };
}
