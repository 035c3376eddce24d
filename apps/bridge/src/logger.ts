import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: static messages, values as fields. Phone numbers are personal data and live only
 * under `caller`/`callee`, which production redacts; secrets are never passed to the logger.
 */
export function createLogger(level: string, production: boolean): Logger {
  return pino({
    name: 'callbridge-bridge',
    level,
    redact: production ? { paths: ['caller', 'callee', '*.caller', '*.callee'], censor: '[phone]' } : [],
  });
}
