// Builds apps/console to static files (apps/console/dist) with Vite's own API, resolved from the
// console package (Vite is its dev dependency). The bridge serves the result at /console/.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const consoleDir = join(import.meta.dirname, '..', '..', 'apps', 'console');

export async function buildConsole(): Promise<string> {
  const require = createRequire(join(consoleDir, 'package.json'));
  const vite = (await import(pathToFileURL(require.resolve('vite')).href)) as {
    build(config: { root: string; logLevel: 'warn' | 'error' }): Promise<unknown>;
  };
  await vite.build({ root: consoleDir, logLevel: 'error' });
  return join(consoleDir, 'dist');
}
