#!/usr/bin/env node
// Entry point of every root script: makes a fresh clone ready (pinned pnpm, dependencies, the pinned
// LiveKit binaries, the sound tools tests use), then runs the named workspace script through pnpm.
// Usage: node scripts/bootstrap.mjs [--livekit] [--sound] [--postgres] [run <script> [args...]]
// Zero dependencies on purpose: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];

const args = process.argv.slice(2);
const runAt = args.indexOf('run');
const flags = new Set(runAt === -1 ? args : args.slice(0, runAt));
const script = runAt === -1 ? undefined : args[runAt + 1];
const scriptArgs = runAt === -1 ? [] : args.slice(runAt + 2).filter((a, i) => !(i === 0 && a === '--'));

function say(msg) {
  process.stderr.write(`callbridge: ${msg}\n`);
}

function sh(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensurePnpm() {
  const local = join(tools, 'pnpm', 'node_modules', '.bin', 'pnpm');
  const localPkg = join(tools, 'pnpm', 'node_modules', 'pnpm', 'package.json');
  if (existsSync(localPkg) && JSON.parse(readFileSync(localPkg, 'utf8')).version === pnpmVersion)
    return local;
  say(`installing pnpm ${pnpmVersion} into .tools/pnpm`);
  const status = sh('npm', [
    'install',
    '--prefix',
    join(tools, 'pnpm'),
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    `pnpm@${pnpmVersion}`,
  ]);
  if (status !== 0) {
    say('could not install pnpm with npm; install it yourself (npm i -g pnpm@' + pnpmVersion + ')');
    process.exit(status);
  }
  return local;
}

function ensureSoundTools() {
  // espeak-ng makes test speech; sox converts it and is the reference μ-law codec;
  // docker-compose validates docker-compose.yml. All are Debian packages.
  const missing = [
    ['espeak-ng', 'espeak-ng'],
    ['sox', 'sox'],
    ['docker-compose', 'docker-compose'],
  ].filter(([bin]) => !has(bin));
  if (missing.length === 0) return;
  const pkgs = missing.map(([, pkg]) => pkg);
  const isRoot = process.getuid?.() === 0;
  if (has('apt-get') && isRoot) {
    say(`installing ${pkgs.join(', ')} with apt-get`);
    sh('apt-get', ['update', '-qq']);
    const status = sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (status === 0) return;
  }
  const required = missing.filter(([bin]) => bin !== 'docker-compose');
  if (required.length > 0) {
    say(
      `tests need ${required.map(([b]) => b).join(' and ')}; install them ` +
        '(Debian/Ubuntu: apt-get install espeak-ng sox; macOS: brew install espeak-ng sox)',
    );
    process.exit(1);
  }
}

function ensureLiveKit() {
  if (process.env.LIVEKIT_SERVER_BIN && process.env.LK_BIN) return;
  const status = sh('bash', [join(root, 'scripts', 'setup-livekit.sh')]);
  if (status !== 0) process.exit(status);
}

function ensurePostgres() {
  // The call-record tests start their own PostgreSQL server from the Debian package's binaries.
  const status = sh('bash', [join(root, 'scripts', 'setup-postgres.sh')]);
  if (status !== 0) process.exit(status);
}

const pnpm = ensurePnpm();
if (flags.has('--sound')) ensureSoundTools();
if (flags.has('--livekit')) ensureLiveKit();
if (flags.has('--postgres')) ensurePostgres();

const installArgs = ['install', '--prefer-offline', '--reporter=silent'];
if (existsSync(join(root, 'pnpm-lock.yaml')) && process.env.CI) installArgs.push('--frozen-lockfile');
let status = sh(pnpm, installArgs);
if (status !== 0) process.exit(status);

if (script) {
  const bin = join(tools, 'bin');
  const env = {
    ...process.env,
    PATH: `${bin}:${dirname(pnpm)}:${process.env.PATH}`,
    LIVEKIT_SERVER_BIN: process.env.LIVEKIT_SERVER_BIN ?? join(bin, 'livekit-server'),
    LK_BIN: process.env.LK_BIN ?? join(bin, 'lk'),
  };
  status = sh(pnpm, ['run', '--silent', script, ...scriptArgs], { env });
}
process.exit(status);
