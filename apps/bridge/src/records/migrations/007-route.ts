import type { Migration } from './migration.js';

/** The ROUTES_FILE route a call took (docs/routing.md). */
export const route: Migration = {
  version: 7,
  sql: ['ALTER TABLE calls ADD COLUMN route TEXT'],
};
