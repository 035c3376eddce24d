// The pnpm patch on @livekit/rtc-node (patches/@livekit__rtc-node@0.13.35.patch) must be what every
// workspace package loads: without it, a handle the FFI 0.12.80 binary has already freed makes
// rtc-node's own dispose() throw from an FFI event listener and ends the process (seen in a test
// process when the bridge it talked to was SIGKILLed).
import { createRequire } from 'node:module';
import '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';

type FfiHandleClass = new (id: bigint) => { dispose(): void };

// rtc-node's native bindings are its own dependency, so resolve them from where rtc-node lives.
const fromRtcNode = createRequire(createRequire(import.meta.url).resolve('@livekit/rtc-node'));
const { FfiHandle } = fromRtcNode('@livekit/rtc-ffi-bindings') as { FfiHandle: FfiHandleClass };

describe('patched rtc-node FfiHandle.dispose', () => {
  it('treats a handle the FFI no longer knows as already freed', () => {
    // Handle ids are issued from 1 upwards; nothing in this process has come near this one.
    expect(() => new FfiHandle(9_007_199_254_740_000n).dispose()).not.toThrow();
  });

  it('still throws every other error', () => {
    const { dispose } = FfiHandle.prototype as { dispose(this: unknown): void };
    expect(() => dispose.call({})).toThrow(/Illegal invocation/);
  });
});
