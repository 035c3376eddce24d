import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: static messages, values as fields. Phone numbers are personal data and are only
 * ever logged under `caller`/`callee`, which are redacted when NODE_ENV=production.
 */
export function createLogger(level: string, name = 'callbridge-agent'): Logger {
  const production = process.env.NODE_ENV === 'production';
  return pino({
    name,
    level,
    redact: production ? { paths: ['caller', 'callee', '*.caller', '*.callee'], censor: '[phone]' } : [],
  });
}
