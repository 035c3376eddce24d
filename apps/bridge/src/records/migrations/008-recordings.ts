import type { Migration } from './migration.js';

/** Call recordings (RECORD_CALLS, src/recordings): the WAV linked from the record. */
export const recordings: Migration = {
  version: 8,
  sql: [
    'ALTER TABLE calls ADD COLUMN recording_path TEXT',
    'ALTER TABLE calls ADD COLUMN recording_bytes BIGINT',
    'ALTER TABLE calls ADD COLUMN recording_duration_ms BIGINT',
  ],
};
