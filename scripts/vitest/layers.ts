/**
 * The three test layers, by file. Every `*.test.ts` in the repository belongs to exactly one of
 * them; `test/layers.test.ts` (unit) fails when a file matches none or more than one, so a new
 * test can never silently run nowhere or twice.
 *
 * - unit: pure code and fakes in this process. No child processes, no livekit-server, no espeak-ng
 *   or sox at run time (speech and sox reference outputs come from committed golden fixtures).
 * - integration: real processes: a real livekit-server with the bridge, PostgreSQL, the call CLI,
 *   a second Node process.
 * - e2e: the whole stack (livekit-server, bridge, agent worker, simulators) as real processes.
 */
export interface Layer {
  include: string[];
  exclude: string[];
}

export type LayerName = 'unit' | 'integration' | 'e2e';

/** Files that live beside pure code but start real processes (so they are not unit). */
const PROCESS_TESTS_BESIDE_CODE = [
  // Runs a second Node with --disallow-code-generation-from-strings.
  'packages/audio/test/no-codegen.test.ts',
  // Runs the call CLI as a process; the CLI converts WAV input with sox.
  'packages/testkit/src/cli/call.test.ts',
];

const E2E = [
  'apps/*/test/**/*.e2e.test.ts',
  'test/e2e.test.ts',
  'test/faults.test.ts',
  'test/heard.test.ts',
  // The whole stack with livekit-server limited to G.711.
  'test/g711.e2e.test.ts',
  // haproxy, two bridges, two LiveKit nodes, three agent workers (issue 15, item 5).
  'test/scale-out.e2e.test.ts',
];

export const LAYERS: Record<LayerName, Layer> = {
  unit: {
    include: [
      'apps/*/src/**/*.test.ts',
      'packages/*/src/**/*.test.ts',
      'packages/audio/test/**/*.test.ts',
      // The resampler engines the audio benchmark compares (packages/audio/bench/engines.ts).
      'packages/audio/bench/**/*.test.ts',
      // bench:calls' marker pairing and slicing (apps/bridge/bench/_markers.ts).
      'apps/bridge/bench/_markers.test.ts',
      'test/compose.test.ts',
      // Reads .env.example, the app READMEs and docker-compose.yml against the config schemas.
      'test/env-example.test.ts',
      'test/layers.test.ts',
      // Reads the reverse proxy examples in examples/ against the bridge's routes.
      'test/proxy-examples.test.ts',
    ],
    exclude: PROCESS_TESTS_BESIDE_CODE,
  },
  integration: {
    include: [
      'apps/*/test/**/*.test.ts',
      'packages/testkit/test/**/*.test.ts',
      'test/rtc-node-patch.test.ts',
      // A real connect to livekit-server, watching which processes the native SDK starts.
      'test/rtc-node-os-probe.test.ts',
      'test/rtc-node-audio-path.test.ts',
      // Runs `docker compose config` where Docker Compose is installed.
      'test/compose-cli.test.ts',
      ...PROCESS_TESTS_BESIDE_CODE,
    ],
    exclude: E2E,
  },
  e2e: { include: E2E, exclude: [] },
};

/** A layer as a vitest project's name, include and exclude (vitest's default excludes kept). */
export function layerProject(name: LayerName, defaultExclude: readonly string[]) {
  return { name, include: LAYERS[name].include, exclude: [...defaultExclude, ...LAYERS[name].exclude] };
}
