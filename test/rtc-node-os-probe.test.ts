// LiveKit's native SDK runs `lsb_release -a` on every room connect (its `os_info` crate describing
// the host); `skipLsbReleaseProbe` (packages/room-contract/src/os-probe.ts) stops it. This runs a
// real connect to a real livekit-server with a stand-in `lsb_release` on the PATH that records each
// start: the control shows the SDK starts it, then with the guard it is never started, and no
// process of ours can start it either (the PATH search stops at the guard).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { skipLsbReleaseProbe } from '@callbridge/room-contract/os-probe';
import { connectParticipant, startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const spyDir = mkdtempSync(join(tmpdir(), 'lsb-release-spy-'));
// The guard's own directory, here instead of the user's cache.
const cacheDir = mkdtempSync(join(tmpdir(), 'lsb-release-guard-'));
const spyLog = join(spyDir, 'started');
const starts = () =>
  existsSync(spyLog) ? readFileSync(spyLog, 'utf8').split('\n').filter(Boolean).length : 0;
let server: LiveKitServer;

async function connectOnce(room: string): Promise<void> {
  const participant = await connectParticipant(server, room, `probe-${room}`);
  await participant.disconnect();
}

describe.runIf(process.platform === 'linux')('the native SDK and lsb_release', () => {
  beforeAll(async () => {
    // Answers as Debian's does, so the SDK is content with it.
    writeFileSync(
      join(spyDir, 'lsb_release'),
      `#!/bin/sh\necho started >> '${spyLog}'\nprintf 'Distributor ID:\\tDebian\\nRelease:\\t12\\n'\n`,
    );
    chmodSync(join(spyDir, 'lsb_release'), 0o755);
    process.env.PATH = `${spyDir}${delimiter}${process.env.PATH ?? ''}`;
    process.env.XDG_CACHE_HOME = cacheDir;
    server = await startLiveKitServer();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(spyDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('starts lsb_release at every connect without the guard, and never with it', async () => {
    await connectOnce('control-1');
    await connectOnce('control-2');
    expect(starts()).toBe(2);

    const guard = skipLsbReleaseProbe();
    expect(guard).toBe(join(cacheDir, 'callbridge', 'no-lsb-release'));
    expect(process.env.PATH?.split(delimiter)[0]).toBe(guard);
    await connectOnce('guarded-1');
    await connectOnce('guarded-2');
    expect(starts()).toBe(2);

    // Started by name from here, it fails at once instead of finding the next lsb_release.
    const run = spawnSync('lsb_release', ['-a']);
    expect((run.error as NodeJS.ErrnoException | undefined)?.code).toBe('ELOOP');
    expect(starts()).toBe(2);
  });
});
