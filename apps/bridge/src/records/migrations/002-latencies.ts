import type { Migration } from './migration.js';

/** Latency of each call: the greeting and every answered turn. */
export const latencies: Migration = {
  version: 2,
  sql: [
    'ALTER TABLE calls ADD COLUMN greeting_ms BIGINT',
    // A JSON array of milliseconds, one per answered turn.
    'ALTER TABLE calls ADD COLUMN turn_latencies_ms TEXT',
  ],
};
