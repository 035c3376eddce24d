import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { layerProject, type LayerName } from './scripts/vitest/layers.js';
import { RetryReporter } from './scripts/vitest/retry-reporter.js';

/** The projects named on the command line (`--project unit`, `--project=unit`); empty = all. */
function selectedProjects(argv: string[]): string[] {
  return argv.flatMap((arg, i) => {
    if (arg.startsWith('--project=')) return [arg.slice('--project='.length)];
    if (arg === '--project' && argv[i + 1]) return [argv[i + 1] as string];
    return [];
  });
}

// vitest 3.2 sets file parallelism for the whole run, not per project. Unit files run side by side;
// integration and e2e files start real servers and run one after another, each in its own process
// (rtc-node loads a native FFI library, a fresh process per file keeps its state isolated). So
// files run in parallel only when the run is the unit project alone; a bare `vitest run` runs
// unit, then integration, then e2e (groupOrder), one file at a time.
const selected = selectedProjects(process.argv);
const unitOnly = selected.length > 0 && selected.every((name) => name === 'unit');

const layer = (name: LayerName) => layerProject(name, configDefaults.exclude);

export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: unitOnly,
    // The default is one fewer than the cores: a single worker on a 2-core machine.
    ...(unitOnly ? { maxWorkers: Math.max(2, availableParallelism()), minWorkers: 1 } : {}),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', new RetryReporter()],
    // rtc-node's own logger writes debug lines straight to stdout; quiet unless TEST_LOG_LEVEL is set.
    setupFiles: ['packages/testkit/src/process/vitest-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          ...layer('unit'),
          sequence: { groupOrder: 0 },
          // Proves unit never runs espeak-ng or sox: speech and sox reference outputs must come from
          // committed golden fixtures (`npm run fixtures:speech` records them with this unset).
          env: { CALLBRIDGE_NO_SYNTH: process.env.CALLBRIDGE_RECORD_FIXTURES === '1' ? '' : '1' },
        },
      },
      {
        extends: true,
        // No retry: a real server and a real bridge either work or show a bug.
        test: { ...layer('integration'), sequence: { groupOrder: 1 }, retry: 0 },
      },
      {
        extends: true,
        // The only retry in the suite: the whole stack on a shared machine. Every retry is printed
        // at the end of the run (scripts/vitest/retry-reporter.ts), so none goes unnoticed.
        test: { ...layer('e2e'), sequence: { groupOrder: 2 }, retry: 1 },
      },
    ],
  },
});
