// The apps as plain JavaScript, so production (and the tests and benches that start the apps as
// processes) loads no TypeScript compiler: `node apps/agent/dist/main.js start`,
// `node apps/bridge/dist/main.js`. Each entry is one ES module with the workspace packages
// (TypeScript sources) bundled in; everything from node_modules stays an import, resolved at run
// time from the app's own dependencies (native rtc-node, LiveKit Agents' process pool, …). The
// agent's job entry is built next to its worker: LiveKit Agents forks call processes that import
// it by path.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const APP_BUILDS = [
  { app: 'agent', entries: ['src/main.ts', 'src/job.ts'] },
  { app: 'bridge', entries: ['src/main.ts'] },
] as const;

/** The built entry of an app: `appEntry('agent')` is apps/agent/dist/main.js. */
export const appEntry = (app: 'agent' | 'bridge') => join(repoRoot, 'apps', app, 'dist', 'main.js');

/** The package a bare import names: `@scope/name` or `name` (without a subpath). */
const packageOf = (path: string) =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Bundles our own code (the app and its @callbridge/* workspace packages, with what only those
 * packages depend on); the app's own dependencies stay imports, resolved from its node_modules.
 */
function externalDependencies(app: string): Plugin {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'apps', app, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const own = new Set(Object.keys(manifest.dependencies ?? {}).filter((d) => !d.startsWith('@callbridge/')));
  return {
    name: 'external-dependencies',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        own.has(packageOf(args.path)) ? { path: args.path, external: true } : undefined,
      );
    },
  };
}

/** Builds every app's dist/; resolves with the milliseconds it took (a few hundred). */
export async function buildApps(): Promise<number> {
  const started = performance.now();
  for (const { app, entries } of APP_BUILDS) {
    await build({
      absWorkingDir: join(repoRoot, 'apps', app),
      entryPoints: [...entries],
      outdir: 'dist',
      outbase: 'src',
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [externalDependencies(app)],
    });
  }
  return Math.round(performance.now() - started);
}

let built: Promise<number> | undefined;

/** Builds once per process (a test file, a bench), so every app process started runs today's code. */
export function ensureAppsBuilt(): Promise<number> {
  built ??= buildApps();
  return built;
}
