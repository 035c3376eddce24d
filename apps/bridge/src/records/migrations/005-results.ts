import type { Migration } from './migration.js';

/** Task results (JSON) and their delivery to the API caller's callback URL. */
export const results: Migration = {
  version: 5,
  sql: [
    'ALTER TABLE calls ADD COLUMN result_schema TEXT',
    'ALTER TABLE calls ADD COLUMN result TEXT',
    'ALTER TABLE calls ADD COLUMN result_at BIGINT',
    'ALTER TABLE calls ADD COLUMN no_result_reason TEXT',
    'ALTER TABLE calls ADD COLUMN callback_url TEXT',
    'ALTER TABLE calls ADD COLUMN callback_state TEXT',
    'ALTER TABLE calls ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0',
    'ALTER TABLE calls ADD COLUMN callback_last_status INTEGER',
    'ALTER TABLE calls ADD COLUMN callback_delivered_at BIGINT',
    'ALTER TABLE calls ADD COLUMN callback_last_error TEXT',
    `CREATE INDEX calls_callback_idx ON calls (callback_state, instance_id)`,
    // What to do when a machine answers (JSON {action, message?}).
    'ALTER TABLE calls ADD COLUMN voicemail TEXT',
  ],
};
