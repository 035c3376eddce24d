import type { Migration } from './migration.js';

/** The call record and its child tables: transcript lines, tool calls, status history. */
export const calls: Migration = {
  version: 1,
  sql: [
    `CREATE TABLE calls (
      call_sid TEXT PRIMARY KEY,
      direction TEXT NOT NULL,
      from_number TEXT NOT NULL,
      to_number TEXT NOT NULL,
      room TEXT,
      agent_identity TEXT,
      instance_id TEXT NOT NULL,
      status TEXT NOT NULL,
      outcome TEXT,
      outcome_reason TEXT,
      answered_by TEXT,
      task TEXT,
      instructions TEXT,
      voice TEXT,
      metadata TEXT,
      created_at BIGINT NOT NULL,
      webhook_at BIGINT,
      stream_started_at BIGINT,
      agent_joined_at BIGINT,
      ended_at BIGINT,
      duration_ms BIGINT
    )`,
    `CREATE INDEX calls_created_idx ON calls (created_at, call_sid)`,
    `CREATE INDEX calls_to_created_idx ON calls (to_number, created_at)`,
    `CREATE INDEX calls_unfinished_idx ON calls (instance_id, ended_at)`,
    `CREATE TABLE transcript_lines (
      id {{ID}},
      call_sid TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
      speaker TEXT NOT NULL,
      identity TEXT NOT NULL,
      text TEXT NOT NULL,
      at BIGINT NOT NULL
    )`,
    `CREATE INDEX transcript_lines_call_idx ON transcript_lines (call_sid, id)`,
    `CREATE TABLE tool_calls (
      id {{ID}},
      call_sid TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
      name TEXT NOT NULL,
      tool_call_id TEXT,
      arguments TEXT,
      result TEXT,
      error TEXT,
      started_at BIGINT NOT NULL,
      ended_at BIGINT NOT NULL
    )`,
    `CREATE INDEX tool_calls_call_idx ON tool_calls (call_sid, id)`,
    `CREATE TABLE call_status_events (
      id {{ID}},
      call_sid TEXT NOT NULL REFERENCES calls (call_sid) ON DELETE CASCADE,
      status TEXT NOT NULL,
      detail TEXT,
      at BIGINT NOT NULL
    )`,
    `CREATE INDEX call_status_events_call_idx ON call_status_events (call_sid, id)`,
  ],
};
