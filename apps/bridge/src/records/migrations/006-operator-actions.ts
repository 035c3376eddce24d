import type { Migration } from './migration.js';

/** Operator console actions (apps/bridge/src/api/operator). */
export const operatorActions: Migration = {
  version: 6,
  sql: [
    `CREATE TABLE operator_actions (
      id {{ID}},
      call_sid TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
      operator TEXT NOT NULL,
      action TEXT NOT NULL,
      detail TEXT,
      result TEXT NOT NULL,
      at BIGINT NOT NULL
    )`,
    `CREATE INDEX operator_actions_call_idx ON operator_actions (call_sid, id)`,
  ],
};
