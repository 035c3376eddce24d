/** Call records as rows and back: the column mapping, JSON columns, BIGINTs as numbers. */
import { CALL_COLUMNS, JSON_FIELDS, NUMBER_FIELDS, type CallRecord } from './schema.js';
import type { SqlRow } from './sql-driver.js';

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

export function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : null;
}
