// npm run build: apps/agent/dist and apps/bridge/dist (see scripts/lib/build-apps.ts).
// Usage: npm run build [-- --help]
import { commandLine } from '@callbridge/testkit/cli';
import { APP_BUILDS, buildApps } from './lib/build-apps.js';

const USAGE =
  'usage: npm run build\n  Bundles each app into apps/<app>/dist (node apps/agent/dist/main.js start, node apps/bridge/dist/main.js).';

commandLine('build', USAGE, {}, { dropLeadingDashDash: true });
const ms = await buildApps();
console.error(`callbridge: built ${APP_BUILDS.map((b) => `apps/${b.app}/dist`).join(', ')} in ${ms} ms`);
