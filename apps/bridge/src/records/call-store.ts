import { MIGRATIONS } from './migrations/index.js';
import { FIELDS, json, parseJson, toRecord } from './record-rows.js';
import {
  CALL_COLUMNS,
  JSON_FIELDS,
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
import type { SqlDriver, SqlValue } from './sql-driver.js';

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
    await store.migrate();
    return store;
  }

  private async migrate(): Promise<void> {
    const idType =
      this.db.dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    await this.db.transaction(async (tx) => {
      // Instances starting together take turns; the loser then sees the versions already applied.
      if (this.db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(7301)');
      await tx.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set(
        (await tx.query('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
      );
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const sql of migration.sql) await tx.query(sql.replaceAll('{{ID}}', idType));
        await tx.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
          migration.version,
          Date.now(),
        ]);
      }
    });
  }

  async create(record: NewCallRecord): Promise<void> {
    const full: CallRecord = {
      room: null,
      agentIdentity: null,
      outcome: null,
      outcomeReason: null,
      answeredBy: null,
      task: null,
      instructions: null,
      voice: null,
      metadata: null,
      createdAt: Date.now(),
      webhookAt: null,
      streamStartedAt: null,
      agentJoinedAt: null,
      endedAt: null,
      durationMs: null,
      greetingMs: null,
      turnLatenciesMs: null,
      resultSchema: null,
      result: null,
      resultAt: null,
      noResultReason: null,
      callbackUrl: null,
      callbackState: null,
      callbackAttempts: 0,
      callbackLastStatus: null,
      callbackDeliveredAt: null,
      callbackLastError: null,
      voicemail: null,
      route: null,
      recordingPath: null,
      recordingBytes: null,
      recordingDurationMs: null,
      ...record,
    };
    const columns = FIELDS.map((f) => CALL_COLUMNS[f]);
    const values = FIELDS.map((f) =>
      JSON_FIELDS.has(f) ? json(full[f] ?? undefined) : (full[f] as SqlValue),
    );
    await this.db.query(
      `INSERT INTO calls (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (call_sid) DO NOTHING`,
      values,
    );
  }

  async update(callSid: string, patch: CallPatch): Promise<void> {
    const entries = Object.entries(patch)
      .filter(([, v]) => v !== undefined)
      .map(([f, v]) => [f, JSON_FIELDS.has(f as keyof CallPatch) ? json(v) : v]) as [
      keyof CallPatch,
      SqlValue,
    ][];
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
    return rows.map((r) => ({
      operator: String(r.operator),
      action: String(r.action),
      detail: parseJson(r.detail),
      result: String(r.result),
      at: Number(r.at),
    }));
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    const rows = await this.db.query('SELECT * FROM calls WHERE call_sid = $1', [callSid]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(filter: CallFilter): Promise<CallRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (clause: (n: string) => string, value: SqlValue) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (filter.status) add((p) => `status = ${p}`, filter.status);
    if (filter.outcome) add((p) => `outcome = ${p}`, filter.outcome);
    if (filter.direction) add((p) => `direction = ${p}`, filter.direction);
    if (filter.number) {
      params.push(filter.number);
      where.push(`(from_number = $${params.length} OR to_number = $${params.length})`);
    }
    if (filter.since !== undefined) add((p) => `created_at >= ${p}`, filter.since);
    if (filter.until !== undefined) add((p) => `created_at < ${p}`, filter.until);
    if (filter.text) {
      const pattern = `%${filter.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      add(
        (p) =>
          `EXISTS (SELECT 1 FROM transcript_lines t WHERE t.call_sid = calls.call_sid AND LOWER(t.text) LIKE ${p} ESCAPE '\\')`,
        pattern,
      );
    }
    if (filter.before) {
      params.push(filter.before.createdAt, filter.before.callSid);
      const [a, b] = [params.length - 1, params.length];
      where.push(`(created_at < $${a} OR (created_at = $${a} AND call_sid < $${b}))`);
    }
    params.push(filter.limit);
    const rows = await this.db.query(
      `SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, call_sid DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  async transcript(callSid: string): Promise<TranscriptLine[]> {
    const rows = await this.db.query(
      'SELECT speaker, identity, text, at FROM transcript_lines WHERE call_sid = $1 ORDER BY id',
      [callSid],
    );
    return rows.map((r) => ({
      speaker: r.speaker as TranscriptLine['speaker'],
      identity: String(r.identity),
      text: String(r.text),
      at: Number(r.at),
    }));
  }

  async toolCalls(callSid: string): Promise<ToolCallEntry[]> {
    const rows = await this.db.query('SELECT * FROM tool_calls WHERE call_sid = $1 ORDER BY id', [callSid]);
    return rows.map((r) => ({
      name: String(r.name),
      toolCallId: (r.tool_call_id as string | null) ?? null,
      arguments: parseJson(r.arguments),
      result: parseJson(r.result),
      error: (r.error as string | null) ?? null,
      startedAt: Number(r.started_at),
      endedAt: Number(r.ended_at),
    }));
  }

  async statusEvents(callSid: string): Promise<StatusEvent[]> {
    const rows = await this.db.query(
      'SELECT status, detail, at FROM call_status_events WHERE call_sid = $1 ORDER BY id',
      [callSid],
    );
    return rows.map((r) => ({
      status: String(r.status),
      detail: (r.detail as string | null) ?? null,
      at: Number(r.at),
    }));
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
