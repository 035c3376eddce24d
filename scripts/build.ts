// npm run build: apps/agent/dist and apps/bridge/dist (see scripts/lib/build-apps.ts).
// Usage: npm run build [-- --help]
import { APP_BUILDS, buildApps } from './lib/build-apps.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(
    'usage: npm run build\n  Bundles each app into apps/<app>/dist (node apps/agent/dist/main.js start, node apps/bridge/dist/main.js).',
  );
  process.exit(0);
}
const ms = await buildApps();
console.error(`callbridge: built ${APP_BUILDS.map((b) => `apps/${b.app}/dist`).join(', ')} in ${ms} ms`);
