#!/usr/bin/env node
// Entry point of every root script: makes a fresh clone ready with what that script needs, then
// runs the named workspace script through pnpm.
// Usage: node scripts/bootstrap.mjs [--livekit] [--lk] [--sound] [--postgres] [--redis] [--haproxy] [run <script> [args...]]
//   always      pinned pnpm (.tools/pnpm) and the workspace dependencies
//   --livekit   the pinned livekit-server (built with Go into .tools/bin unless LIVEKIT_SERVER_BIN is set)
//   --lk        the pinned lk CLI and the PortAudio headers it links (unless LK_BIN is set)
//   --sound     espeak-ng (test speech) and sox (conversions, the reference μ-law codec)
//   --postgres  the PostgreSQL server binaries (call-record tests)
//   --browser   Debian's chromium, driven by playwright-core in the console's browser test
//   --redis     redis-server (the LiveKit multi-node test starts its own on a free port)
//   --haproxy   haproxy, the load balancer in front of two bridges in the scale-out test
// Every step is idempotent and cheap when already done, so a second run starts its script at once;
// without `run` (npm run setup) the dependencies are always reinstalled.
// Zero dependencies on purpose: it runs before anything is installed.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  // espeak-ng makes speech; sox converts it and is the reference μ-law codec. Debian packages of
  // the same names. (Nothing else: docker-compose is optional, and PortAudio is only for lk.)
  const missing = ['espeak-ng', 'sox'].filter((bin) => !has(bin));
  if (missing.length === 0) return;
  if (sh('bash', [join(root, 'scripts', 'lib', 'apt-install.sh'), ...missing]) === 0) return;
  say(
    `${missing.join(' and ')} missing; install them ` +
      '(Debian/Ubuntu: apt-get install espeak-ng sox; macOS: brew install espeak-ng sox)',
  );
  process.exit(1);
}

function ensureRedis() {
  // Two livekit-server nodes share a real Redis in the multi-node test (testkit starts its own).
  if (has('redis-server') || process.env.REDIS_SERVER_BIN) return;
  if (sh('bash', [join(root, 'scripts', 'lib', 'apt-install.sh'), 'redis-server']) === 0) return;
  say(
    'redis-server missing; install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) ' +
      'or set REDIS_SERVER_BIN',
  );
  process.exit(1);
}

function ensureHaproxy() {
  // The scale-out test puts a real haproxy in front of two bridges (testkit starts its own).
  if (has('haproxy') || process.env.HAPROXY_BIN) return;
  if (sh('bash', [join(root, 'scripts', 'lib', 'apt-install.sh'), 'haproxy']) === 0) return;
  say(
    'haproxy missing; install it (Debian/Ubuntu: apt-get install haproxy; macOS: brew install haproxy) or set HAPROXY_BIN',
  );
  process.exit(1);
}

function setupLiveKit(flag) {
  const status = sh('bash', [join(root, 'scripts', 'setup-livekit.sh'), flag]);
  if (status !== 0) process.exit(status);
}

function ensurePostgres() {
  // The call-record tests start their own PostgreSQL server from the Debian package's binaries.
  const status = sh('bash', [join(root, 'scripts', 'setup-postgres.sh')]);
  if (status !== 0) process.exit(status);
}

function ensureBrowser() {
  // The console's browser test drives the system Chromium (never a downloaded browser build).
  if (has('chromium')) return;
  if (sh('bash', [join(root, 'scripts', 'lib', 'apt-install.sh'), 'chromium']) === 0) return;
  say('chromium missing; install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_BIN');
  process.exit(1);
}

/**
 * What the installed node_modules were made from: the lockfile, every workspace manifest, the
 * patches, and the pnpm and Node versions. The same stamp as the last install means nothing to do.
 */
function installInputs() {
  const hash = createHash('sha256').update(`${pnpmVersion} ${process.version}\n`);
  const files = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'];
  for (const dir of ['apps', 'packages']) {
    for (const name of readdirSync(join(root, dir)).sort()) files.push(join(dir, name, 'package.json'));
  }
  if (existsSync(join(root, 'patches'))) {
    for (const name of readdirSync(join(root, 'patches')).sort()) files.push(join('patches', name));
  }
  for (const file of files) {
    const path = join(root, file);
    hash.update(`${file}\n`).update(existsSync(path) ? readFileSync(path) : '');
  }
  return hash.digest('hex');
}

/**
 * Starts `pnpm install` unless the dependencies are up to date, and resolves when it is done. It
 * runs in the background (mostly downloads) while the Go build and apt-get use the CPU.
 */
function startDependencies(pnpm) {
  const stampFile = join(root, 'node_modules', '.callbridge-install');
  const stamp = installInputs();
  const installed = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';
  if (script && installed === stamp) return Promise.resolve();
  const installArgs = ['install', '--prefer-offline', '--reporter=silent'];
  if (existsSync(join(root, 'pnpm-lock.yaml')) && process.env.CI) installArgs.push('--frozen-lockfile');
  const child = spawn(pnpm, installArgs, { stdio: 'inherit', cwd: root });
  const stopChild = () => child.kill();
  process.once('exit', stopChild);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      process.off('exit', stopChild);
      if (code !== 0) process.exit(code ?? 1);
      writeFileSync(stampFile, stamp);
      resolve();
    });
  });
}

const pnpm = ensurePnpm();
const dependencies = startDependencies(pnpm);
if (flags.has('--sound')) ensureSoundTools();
if (flags.has('--livekit') && !process.env.LIVEKIT_SERVER_BIN) setupLiveKit('--server');
if (flags.has('--lk') && !process.env.LK_BIN) setupLiveKit('--lk');
if (flags.has('--postgres')) ensurePostgres();
if (flags.has('--browser') && !process.env.CHROMIUM_BIN) ensureBrowser();
if (flags.has('--redis')) ensureRedis();
if (flags.has('--haproxy')) ensureHaproxy();
await dependencies;

let status = 0;
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
