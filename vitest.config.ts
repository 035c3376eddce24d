import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['apps/*/{src,test}/**/*.test.ts', 'packages/*/{src,test}/**/*.test.ts', 'test/**/*.test.ts'],
    // rtc-node loads a native FFI library; separate processes keep each file's native state isolated.
    pool: 'forks',
    // Most files start real servers and check real-time behaviour (latency bars, pacing); on a
    // 2-core CI machine running them side by side makes those timings measure the contention.
    fileParallelism: false,
    // One retry for a timing-sensitive check that lost a race with the machine; a real failure
    // fails twice.
    retry: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
