/** The call list's filter as one SELECT: each criterion a clause, newest first, keyset-paged. */
import type { CallFilter } from './schema.js';
import type { SqlValue } from './sql-driver.js';

export function callListSql(filter: CallFilter): { sql: string; params: SqlValue[] } {
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
  const sql = `SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, call_sid DESC LIMIT $${params.length}`;
  return { sql, params };
}
