import type { Migration } from './migration.js';

/** Stream-token nonces used by any bridge sharing the records (records/shared-nonces.ts). */
export const streamTokenNonces: Migration = {
  version: 9,
  sql: [
    'CREATE TABLE stream_token_nonces (nonce TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)',
    'CREATE INDEX stream_token_nonces_expiry_idx ON stream_token_nonces (expires_at)',
  ],
};
