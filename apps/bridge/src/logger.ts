import { personalDataRedaction } from '@callbridge/room-contract';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: static messages, values as fields. Phone numbers (`caller`/`callee`), phone
 * participant identities and keypad digits are personal data: masked in every environment
 * (`+1555…4567`, `phone-1555…4567`, `*`). Secrets are never passed to the logger.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { name: 'callbridge-bridge', level, redact: personalDataRedaction() };
  return destination ? pino(options, destination) : pino(options);
}
