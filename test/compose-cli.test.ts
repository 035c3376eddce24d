// docker compose's own validator, where Docker Compose is installed (the CI machine has no Docker
// engine, and the schema check in compose.test.ts runs everywhere). It starts a process, so it is
// an integration test; without Compose it shows up as skipped, with the reason in its name.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** `docker compose` (v2) or `docker-compose` (v1), whichever is installed; undefined if neither. */
function composeCommand(): string[] | undefined {
  return [['docker', 'compose'], ['docker-compose']].find(
    ([bin, ...sub]) => spawnSync(bin!, [...sub, 'version'], { stdio: 'ignore' }).status === 0,
  );
}

describe('docker-compose.yml', () => {
  const cmd = composeCommand();
  it.skipIf(!cmd)(
    `is accepted by \`${cmd?.join(' ') ?? 'docker compose'} config\`${cmd ? '' : ' (skipped: Docker Compose is not installed)'}`,
    () => {
      const [bin, ...pre] = cmd!;
      execFileSync(bin!, [...pre, '-f', join(root, 'docker-compose.yml'), 'config', '-q'], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    },
  );
});
