import { personalDataRedaction } from '@callbridge/room-contract';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: static messages, values as fields. Phone numbers (`caller`/`callee`), phone
 * participant identities (`participant`, `identity`) and keypad digits are personal data: masked
 * in every environment (`+1555…4567`, `phone-1555…4567`, `*`).
 */
export function createLogger(level: string, name = 'callbridge-agent'): Logger {
  return pino({ name, level, redact: personalDataRedaction() });
}
