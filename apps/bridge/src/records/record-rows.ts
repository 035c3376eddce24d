/** Call records as rows and back: the column mapping, JSON columns, BIGINTs as numbers. */
import {
  CALL_COLUMNS,
  JSON_FIELDS,
  NUMBER_FIELDS,
  type CallPatch,
  type CallRecord,
  type OperatorAction,
  type StatusEvent,
  type ToolCallEntry,
  type TranscriptLine,
} from './schema.js';
import type { SqlRow, SqlValue } from './sql-driver.js';

/** Every record field, in column order. */
export const FIELDS = Object.keys(CALL_COLUMNS) as (keyof CallRecord)[];

export function toRecord(row: SqlRow): CallRecord {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = row[CALL_COLUMNS[field]] ?? null;
    if (JSON_FIELDS.has(field)) out[field] = parseJson(value);
    else if (NUMBER_FIELDS.has(field) && value !== null) out[field] = Number(value);
    else out[field] = value;
  }
  return out as unknown as CallRecord;
}

/** A whole record as column values, in the order of FIELDS. */
export function toValues(record: CallRecord): SqlValue[] {
  return FIELDS.map((f) => (JSON_FIELDS.has(f) ? json(record[f] ?? undefined) : (record[f] as SqlValue)));
}

/** The fields a patch sets (undefined ones left out), with their column values. */
export function patchEntries(patch: CallPatch): [keyof CallPatch, SqlValue][] {
  return Object.entries(patch)
    .filter(([, v]) => v !== undefined)
    .map(([f, v]) => [f, JSON_FIELDS.has(f as keyof CallPatch) ? json(v) : v]) as [
    keyof CallPatch,
    SqlValue,
  ][];
}

export function toTranscriptLine(r: SqlRow): TranscriptLine {
  return {
    speaker: r.speaker as TranscriptLine['speaker'],
    identity: String(r.identity),
    text: String(r.text),
    at: Number(r.at),
  };
}

export function toToolCallEntry(r: SqlRow): ToolCallEntry {
  return {
    name: String(r.name),
    toolCallId: (r.tool_call_id as string | null) ?? null,
    arguments: parseJson(r.arguments),
    result: parseJson(r.result),
    error: (r.error as string | null) ?? null,
    startedAt: Number(r.started_at),
    endedAt: Number(r.ended_at),
  };
}

export function toStatusEvent(r: SqlRow): StatusEvent {
  return {
    status: String(r.status),
    detail: (r.detail as string | null) ?? null,
    at: Number(r.at),
  };
}

export function toOperatorAction(r: SqlRow): OperatorAction {
  return {
    operator: String(r.operator),
    action: String(r.action),
    detail: parseJson(r.detail),
    result: String(r.result),
    at: Number(r.at),
  };
}

export function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : null;
}
