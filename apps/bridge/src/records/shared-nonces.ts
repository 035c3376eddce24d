/**
 * A stream token opens one stream, whichever bridge instance it reaches: with bridges sharing
 * PostgreSQL, each token's nonce is claimed in the shared records (table `stream_token_nonces`,
 * migration 9), so a token captured and replayed at another instance is refused there too (the
 * in-memory claim of calls/registry.ts only covers one instance: enough for SQLite, which serves
 * one bridge). A claimed nonce is kept until its token expires; expired ones are swept.
 */
import type { SqlExecutor } from './sql-driver.js';

const SWEEP_EVERY_MS = 60_000;

export class SharedNonces {
  #lastSweep = 0;

  /** `ready` resolves once the records are migrated (the table exists). */
  constructor(
    private readonly db: SqlExecutor,
    private readonly ready: Promise<unknown>,
  ) {}

  /** Records a nonce for every instance; false if any instance claimed it before (a replay). */
  async claim(nonce: string, expiresAtMs: number, nowMs = Date.now()): Promise<boolean> {
    await this.ready;
    if (nowMs - this.#lastSweep > SWEEP_EVERY_MS) {
      this.#lastSweep = nowMs;
      // Tokens past their expiry are refused by their signature check already.
      await this.db.query('DELETE FROM stream_token_nonces WHERE expires_at <= $1', [nowMs]);
    }
    const rows = await this.db.query(
      'INSERT INTO stream_token_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING RETURNING nonce',
      [nonce, expiresAtMs],
    );
    return rows.length === 1;
  }
}
