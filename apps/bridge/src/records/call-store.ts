import { callListSql } from './call-list-sql.js';
import { applyMigrations } from './migrate.js';
import { withDefaults } from './new-call-record.js';
import {
  FIELDS,
  json,
  patchEntries,
  toOperatorAction,
  toRecord,
  toStatusEvent,
  toToolCallEntry,
  toTranscriptLine,
  toValues,
} from './record-rows.js';
import {
  CALL_COLUMNS,
  type CallEnding,
  type CallFilter,
  type CallPatch,
  type CallRecord,
  type NewCallRecord,
  type OperatorAction,
  type StatusEvent,
  type ToolCallEntry,
  type TranscriptLine,
} from './schema.js';
import type { SqlDriver } from './sql-driver.js';

/** Where call records live. Every write is its own small statement, made while the call runs. */
export interface CallStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Inserts the record unless one exists for this CallSid (Twilio retries webhooks). */
  create(record: NewCallRecord): Promise<void>;
  update(callSid: string, patch: CallPatch): Promise<void>;
  /** Records how the call ended, once: the first ending wins, later ones only move the status. */
  end(callSid: string, ending: CallEnding): Promise<boolean>;
  addTranscriptLine(callSid: string, line: TranscriptLine): Promise<void>;
  addToolCall(callSid: string, entry: ToolCallEntry): Promise<void>;
  addStatusEvent(callSid: string, event: StatusEvent): Promise<void>;
  addOperatorAction(callSid: string, action: OperatorAction): Promise<void>;
  get(callSid: string): Promise<CallRecord | undefined>;
  list(filter: CallFilter): Promise<CallRecord[]>;
  transcript(callSid: string): Promise<TranscriptLine[]>;
  toolCalls(callSid: string): Promise<ToolCallEntry[]>;
  statusEvents(callSid: string): Promise<StatusEvent[]>;
  operatorActions(callSid: string): Promise<OperatorAction[]>;
  /** Outbound calls created since `sinceMs`, to one number or (without `to`) in all. */
  countOutboundSince(sinceMs: number, to?: string): Promise<number>;
  /** Runs `fn` as the only holder of `lock` among the bridges sharing this database. */
  exclusive<T>(lock: string, fn: () => Promise<T>): Promise<T>;
  /** This instance's ended calls whose callback is not yet delivered or given up (resumed at start). */
  pendingCallbacks(instanceId: string): Promise<string[]>;
  /** Ends this instance's unfinished calls as `interrupted`; returns their CallSids. */
  interruptUnfinished(instanceId: string, nowMs: number): Promise<string[]>;
  close(): Promise<void>;
}

/** The call store over any SqlDriver: the same statements for SQLite and PostgreSQL. */
export class SqlCallStore implements CallStore {
  readonly backend: 'sqlite' | 'postgres';

  private constructor(private readonly db: SqlDriver) {
    this.backend = db.dialect;
  }

  /** Opens the store and brings the schema up to date (safe when several instances start at once). */
  static async open(db: SqlDriver): Promise<SqlCallStore> {
    const store = new SqlCallStore(db);
    await applyMigrations(db);
    return store;
  }

  async create(record: NewCallRecord): Promise<void> {
    const columns = FIELDS.map((f) => CALL_COLUMNS[f]);
    await this.db.query(
      `INSERT INTO calls (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (call_sid) DO NOTHING`,
      toValues(withDefaults(record)),
    );
  }

  async update(callSid: string, patch: CallPatch): Promise<void> {
    const entries = patchEntries(patch);
    if (entries.length === 0) return;
    const sets = entries.map(([field], i) => `${CALL_COLUMNS[field]} = $${i + 2}`);
    await this.db.query(`UPDATE calls SET ${sets.join(', ')} WHERE call_sid = $1`, [
      callSid,
      ...entries.map(([, v]) => v),
    ]);
  }

  async end(callSid: string, ending: CallEnding): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE calls SET outcome = $2, outcome_reason = $3, ended_at = $4, status = $5,
         duration_ms = $4 - COALESCE(stream_started_at, webhook_at, $4)
       WHERE call_sid = $1 AND outcome IS NULL RETURNING call_sid`,
      [callSid, ending.outcome, ending.reason, ending.endedAt, ending.status],
    );
    if (rows.length > 0) return true;
    await this.db.query('UPDATE calls SET status = $2 WHERE call_sid = $1', [callSid, ending.status]);
    return false;
  }

  async addTranscriptLine(callSid: string, line: TranscriptLine): Promise<void> {
    await this.db.query(
      'INSERT INTO transcript_lines (call_sid, speaker, identity, text, at) VALUES ($1, $2, $3, $4, $5)',
      [callSid, line.speaker, line.identity, line.text, line.at],
    );
  }

  async addToolCall(callSid: string, entry: ToolCallEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO tool_calls (call_sid, name, tool_call_id, arguments, result, error, started_at, ended_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        callSid,
        entry.name,
        entry.toolCallId,
        json(entry.arguments),
        json(entry.result),
        entry.error,
        entry.startedAt,
        entry.endedAt,
      ],
    );
  }

  async addStatusEvent(callSid: string, event: StatusEvent): Promise<void> {
    await this.db.query(
      'INSERT INTO call_status_events (call_sid, status, detail, at) VALUES ($1, $2, $3, $4)',
      [callSid, event.status, event.detail, event.at],
    );
  }

  async addOperatorAction(callSid: string, a: OperatorAction): Promise<void> {
    await this.db.query(
      'INSERT INTO operator_actions (call_sid, operator, action, detail, result, at) VALUES ($1, $2, $3, $4, $5, $6)',
      [callSid, a.operator, a.action, json(a.detail ?? undefined), a.result, a.at],
    );
  }

  async operatorActions(callSid: string): Promise<OperatorAction[]> {
    const rows = await this.db.query(
      'SELECT operator, action, detail, result, at FROM operator_actions WHERE call_sid = $1 ORDER BY id',
      [callSid],
    );
    return rows.map(toOperatorAction);
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    const rows = await this.db.query('SELECT * FROM calls WHERE call_sid = $1', [callSid]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(filter: CallFilter): Promise<CallRecord[]> {
    const { sql, params } = callListSql(filter);
    const rows = await this.db.query(sql, params);
    return rows.map(toRecord);
  }

  async transcript(callSid: string): Promise<TranscriptLine[]> {
    const rows = await this.db.query(
      'SELECT speaker, identity, text, at FROM transcript_lines WHERE call_sid = $1 ORDER BY id',
      [callSid],
    );
    return rows.map(toTranscriptLine);
  }

  async toolCalls(callSid: string): Promise<ToolCallEntry[]> {
    const rows = await this.db.query('SELECT * FROM tool_calls WHERE call_sid = $1 ORDER BY id', [callSid]);
    return rows.map(toToolCallEntry);
  }

  async statusEvents(callSid: string): Promise<StatusEvent[]> {
    const rows = await this.db.query(
      'SELECT status, detail, at FROM call_status_events WHERE call_sid = $1 ORDER BY id',
      [callSid],
    );
    return rows.map(toStatusEvent);
  }

  exclusive<T>(lock: string, fn: () => Promise<T>): Promise<T> {
    return this.db.exclusive(lock, fn);
  }

  async countOutboundSince(sinceMs: number, to?: string): Promise<number> {
    const rows =
      to === undefined
        ? await this.db.query(
            "SELECT COUNT(*) AS n FROM calls WHERE direction = 'outbound' AND created_at >= $1",
            [sinceMs],
          )
        : await this.db.query(
            "SELECT COUNT(*) AS n FROM calls WHERE direction = 'outbound' AND created_at >= $1 AND to_number = $2",
            [sinceMs, to],
          );
    return Number(rows[0]?.n ?? 0);
  }

  async pendingCallbacks(instanceId: string): Promise<string[]> {
    const rows = await this.db.query(
      `SELECT call_sid FROM calls WHERE callback_state IN ('pending', 'delivering')
         AND instance_id = $1 AND ended_at IS NOT NULL ORDER BY ended_at`,
      [instanceId],
    );
    return rows.map((r) => String(r.call_sid));
  }

  async interruptUnfinished(instanceId: string, nowMs: number): Promise<string[]> {
    const rows = await this.db.query(
      `UPDATE calls SET outcome = 'interrupted', outcome_reason = $2, ended_at = $3,
         no_result_reason = CASE WHEN result_schema IS NOT NULL AND result IS NULL THEN 'failed' END,
         duration_ms = COALESCE(
           (SELECT MAX(at) FROM transcript_lines t WHERE t.call_sid = calls.call_sid),
           stream_started_at, webhook_at, created_at) - COALESCE(stream_started_at, webhook_at, created_at)
       WHERE instance_id = $1 AND outcome IS NULL RETURNING call_sid`,
      [instanceId, 'the bridge stopped while the call was live (found unfinished at start)', nowMs],
    );
    return rows.map((r) => String(r.call_sid));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
