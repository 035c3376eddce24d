/**
 * Every migration, in order. To add one: a module `NNN-what.ts` beside these exporting a `Migration`
 * with the next version, then its import and one line at the end of the list (append only; the
 * comment is the version, so prettier keeps one migration a line).
 */
import { calls } from './001-calls.js';
import { latencies } from './002-latencies.js';
import { results } from './005-results.js';
import { operatorActions } from './006-operator-actions.js';
import { route } from './007-route.js';
import { recordings } from './008-recordings.js';
import { streamTokenNonces } from './009-stream-token-nonces.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [
  calls, // 1
  latencies, // 2
  results, // 5
  operatorActions, // 6
  route, // 7
  recordings, // 8
  streamTokenNonces, // 9
];
