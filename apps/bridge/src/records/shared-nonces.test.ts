import { describe, expect, it } from 'vitest';
import { SqlCallStore } from './call-store.js';
import { SharedNonces } from './shared-nonces.js';
import { openSqlite } from './sqlite-driver.js';

describe('stream-token nonces in the shared records', () => {
  it('claims a nonce once for every instance, and forgets it once its token expired', async () => {
    const db = openSqlite(':memory:');
    const migrated = SqlCallStore.open(db); // migration 9 creates the table
    try {
      // Two instances over the same records.
      const a = new SharedNonces(db, migrated);
      const b = new SharedNonces(db, migrated);
      const t0 = Date.now();
      expect(await a.claim('n1', t0 + 90_000, t0)).toBe(true);
      expect(await b.claim('n1', t0 + 90_000, t0)).toBe(false);
      expect(await a.claim('n1', t0 + 90_000, t0)).toBe(false);
      expect(await b.claim('n2', t0 + 1_000, t0)).toBe(true);
      // A minute on, the expired nonce is swept (its token is refused by its expiry anyway).
      expect(await b.claim('n3', t0 + 120_000, t0 + 61_000)).toBe(true);
      const left = await db.query('SELECT nonce FROM stream_token_nonces ORDER BY nonce');
      expect(left.map((r) => r.nonce)).toEqual(['n1', 'n3']);
    } finally {
      await db.close();
    }
  });
});
