import { resultSchemaToZod } from '@callbridge/room-contract';
import type { CallRecord } from './schema.js';

/** A result the agent reported, checked against the call's result schema. */
export type CheckedResult = { ok: true; result: Record<string, unknown> } | { ok: false; message: string };

/** Checks the agent's result against the call's result schema; a refusal names each problem. */
export function checkResult(record: CallRecord | undefined, raw: Record<string, unknown>): CheckedResult {
  if (!record?.resultSchema)
    return { ok: false, message: 'this call has no result schema: there is no result to report' };
  const parsed = resultSchemaToZod(record.resultSchema).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'result'}: ${i.message}`);
    return { ok: false, message: `the result does not fit the schema (${problems.join('; ')})` };
  }
  return { ok: true, result: parsed.data as Record<string, unknown> };
}
