// Records the golden audio fixtures the unit tests read instead of running espeak-ng and sox:
// speech (packages/testkit/fixtures/speech) and sox reference outputs (packages/audio/test/fixtures/sox).
// It clears both stores, then runs the unit project in recording mode, so the stores end up
// holding exactly what the unit tests ask for, synthesized afresh on this machine.
// Usage: npm run fixtures:speech   (then commit the changed files); --help prints the usage.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run fixtures:speech   (then commit the changed files)

Records the golden audio fixtures the unit tests read: clears packages/testkit/fixtures/speech and
packages/audio/test/fixtures/sox, then runs the unit project with CALLBRIDGE_RECORD_FIXTURES=1, so
they hold exactly what the unit tests ask for, synthesized afresh with espeak-ng and sox on this
machine. Takes no options.`;

/** The command line's values; prints the usage and exits on --help (0) or an unknown option (2). */
function commandLine() {
  try {
    return parseArgs({
      // (A leading `--`, as `pnpm run ci:fixtures:speech -- --help` passes it, is not an argument.)
      args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
      options: { help: { type: 'boolean', short: 'h', default: false } },
    }).values;
  } catch (err) {
    console.error(`fixtures:speech: ${err.message} (see --help)`);
    process.exit(2);
  }
}
if (commandLine().help) {
  console.log(USAGE);
  process.exit(0);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stores = ['packages/testkit/fixtures/speech', 'packages/audio/test/fixtures/sox'].map((d) =>
  join(root, d),
);

for (const store of stores) rmSync(store, { recursive: true, force: true });
const run = spawnSync(join(root, 'node_modules/.bin/vitest'), ['run', '--project', 'unit'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CALLBRIDGE_RECORD_FIXTURES: '1' },
});
if (run.status !== 0) {
  console.error('fixtures:speech: the unit run failed while recording; fixtures may be incomplete.');
  process.exit(run.status ?? 1);
}
for (const store of stores) {
  const files = readdirSync(store);
  const bytes = files.reduce((sum, f) => sum + statSync(join(store, f)).size, 0);
  console.log(
    `fixtures:speech: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${store.slice(root.length + 1)}`,
  );
}
