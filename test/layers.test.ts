import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDefaults } from 'vitest/config';
import { createVitest, type Vitest } from 'vitest/node';
import { layerProject, type LayerName } from '../scripts/vitest/layers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', '.git', '.tools', '.artifacts', 'dist']);

/** Every `*.test.ts` under the repository, found by walking it (not by vitest's own globs). */
function testFilesOnDisk(dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : testFilesOnDisk(join(dir, entry.name));
    return entry.name.endsWith('.test.ts') ? [relative(root, join(dir, entry.name))] : [];
  });
}

let vitest: Vitest;
beforeAll(async () => {
  // The layers as vitest.config.ts declares them, resolved by vitest's own globbing. Inline
  // (config: false) so vitest does not bundle a config file, which would start an esbuild process.
  const projects = (['unit', 'integration', 'e2e'] as LayerName[]).map((name) => ({
    test: layerProject(name, configDefaults.exclude),
  }));
  vitest = await createVitest('test', { root, config: false, watch: false, reporters: [], projects });
});
afterAll(async () => {
  await vitest?.close();
});

describe('test layers (vitest projects)', () => {
  it('puts every test file in the repository in exactly one of unit, integration, e2e', async () => {
    const specs = await vitest.globTestSpecifications();
    const projectsOf = new Map<string, string[]>();
    for (const spec of specs) {
      const file = relative(root, spec.moduleId);
      projectsOf.set(file, [...(projectsOf.get(file) ?? []), spec.project.name]);
    }
    const onDisk = testFilesOnDisk();
    expect(onDisk.length).toBeGreaterThan(50);
    const misplaced = onDisk.flatMap((file) => {
      const projects = projectsOf.get(file) ?? [];
      return projects.length === 1
        ? []
        : [`${file}: ${projects.length ? projects.join(' + ') : 'no project'}`];
    });
    expect(misplaced).toEqual([]);
    expect(new Set(specs.map((s) => s.project.name))).toEqual(new Set(['unit', 'integration', 'e2e']));
  });
});
