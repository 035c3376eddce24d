// The pnpm patch on @livekit/rtc-node (patches/@livekit__rtc-node@0.13.35.patch) must be what every
// workspace package loads. FfiHandle's GC finalizer drops its native handle and throws when the
// handle is already gone, and a throw from a finalizer is an uncaught exception: without the patch
// it ended processes (the bridge under overload; test processes after rtc-node's dispose()). And
// the WebRTC runtime is pinned so garbage collection between calls cannot rebuild (and leak) it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';

type FfiHandleClass = new (id: bigint) => { dispose(): void };

const root = join(import.meta.dirname, '..');
// rtc-node's native bindings are its own dependency, so resolve them from where rtc-node lives.
const fromRtcNode = createRequire(createRequire(import.meta.url).resolve('@livekit/rtc-node'));
const { FfiHandle } = fromRtcNode('@livekit/rtc-ffi-bindings') as { FfiHandle: FfiHandleClass };

/**
 * A fresh process (it needs `--expose-gc`, and the FFI cannot come back after dispose) that holds
 * 20 native handles, disposes the FFI either through rtc-node's `dispose()` or straight through the
 * bindings, drops the handles and collects them. Prints how many uncaught exceptions it saw.
 */
function uncaughtAfterFfiDispose(via: 'rtc-node' | 'bindings'): number {
  const script = `
    import { createRequire } from 'node:module';
    import { AudioSource, dispose } from '@livekit/rtc-node';
    let uncaught = 0;
    process.on('uncaughtException', () => uncaught++);
    let collected = 0;
    const registry = new FinalizationRegistry(() => collected++);
    let sources = Array.from({ length: 20 }, () => {
      const source = new AudioSource(48000, 1);
      registry.register(source, 0);
      return source;
    });
    if (${JSON.stringify(via)} === 'bindings') {
      const rtcNode = createRequire(process.cwd() + '/package.json').resolve('@livekit/rtc-node');
      await createRequire(rtcNode)('@livekit/rtc-ffi-bindings').livekitDispose();
    } else await dispose();
    sources = null;
    // Until the GC has collected every source (this registry saw all 20 go), then two more turns
    // of the event loop: Node runs the native handles' finalizers in a task after that GC.
    while (collected < 20) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    console.log(JSON.stringify({ uncaught }));
  `;
  const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !last.startsWith('{')) throw new Error(`probe failed: ${run.stderr}${run.stdout}`);
  return (JSON.parse(last) as { uncaught: number }).uncaught;
}

/** test/_rtc-runtime-probe.ts in its own process; see there. */
function runtimeChurn(release: boolean): { runtimes_built: number; runtimes_alive: number } {
  const args = ['--expose-gc', '--import', 'tsx', join(root, 'test/_rtc-runtime-probe.ts')];
  const run = spawnSync(process.execPath, release ? [...args, '--release'] : args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !last.startsWith('{')) throw new Error(`probe failed: ${run.stderr}${run.stdout}`);
  return JSON.parse(last) as { runtimes_built: number; runtimes_alive: number };
}

/** test/_rtc-log-probe.ts in its own process (the FFI reads capture_logs once, at start); see there. */
function ffiLogTraffic(captureLogs: boolean): {
  ffi_events: number;
  log_events: number;
  log_records: number;
} {
  const env = { ...process.env, LIVEKIT_FFI_CAPTURE_LOGS: captureLogs ? 'true' : '' };
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test/_rtc-log-probe.ts')], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !last.startsWith('{')) throw new Error(`probe failed: ${run.stderr}${run.stdout}`);
  return JSON.parse(last) as { ffi_events: number; log_events: number; log_records: number };
}

describe('patched rtc-node', () => {
  it('treats disposing a handle the FFI no longer knows as already freed', () => {
    // Handle ids are issued from 1 upwards; nothing in this process has come near this one.
    expect(() => new FfiHandle(9_007_199_254_740_000n).dispose()).not.toThrow();
  });

  it('still throws every other dispose error', () => {
    const { dispose } = FfiHandle.prototype as { dispose(this: unknown): void };
    expect(() => dispose.call({})).toThrow(/Illegal invocation/);
  });

  it("disposes every live handle before the FFI itself, so no finalizer throws after rtc-node's dispose()", () => {
    // The control: the FFI disposed under the wrappers' feet makes every one of them throw at GC.
    expect(uncaughtAfterFfiDispose('bindings')).toBe(20);
    expect(uncaughtAfterFfiDispose('rtc-node')).toBe(0);
  });

  it('builds one WebRTC runtime per process, however often the rooms come and go', () => {
    // The control: rooms' native handles released between calls (what GC did without the pin)
    // rebuild the runtime every call and leave earlier ones' threads behind.
    const control = runtimeChurn(true);
    expect(control.runtimes_built).toBeGreaterThan(1);
    expect(runtimeChurn(false)).toEqual({ runtimes_built: 1, runtimes_alive: 1 });
  });

  it('does not forward the native log records to JavaScript, which would only drop them', () => {
    // The control: with capture on (rtc-node's own setting) one room's connect and a second of
    // audio send the JS thread native log records, one FFI event each.
    const captured = ffiLogTraffic(true);
    expect(captured.log_records).toBeGreaterThan(20);
    const quiet = ffiLogTraffic(false);
    expect(quiet).toMatchObject({ log_events: 0, log_records: 0 });
    // The same room did the same work: its other events still arrive.
    expect(quiet.ffi_events).toBeGreaterThan(0);
  });
});
