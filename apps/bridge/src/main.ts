// The bridge process: reads the environment, serves Twilio, drains on SIGTERM.
import { skipLsbReleaseProbe } from '@callbridge/room-contract/os-probe';
import { ConfigError, loadConfig } from './config.js';
import { isStaleFfiHandle } from './livekit/ffi-errors.js';
import { createBridge } from './server.js';
import { warmCallPath } from './warm-up.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`callbridge bridge: ${err.message}`);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

// Every room connect would otherwise run `lsb_release` (LiveKit's native SDK describing the host).
skipLsbReleaseProbe();
const bridge = createBridge(config);
// One bad call must never take the others down: log and keep serving.
process.on('unhandledRejection', (err) => bridge.log.error({ err: String(err) }, 'unhandled rejection'));
// rtc-node's FfiHandle drops its native handle from a GC finalizer and throws there when the FFI
// has already freed it (seen when rooms die abnormally under overload). Our rtc-node patch covers
// the paths we know; a finalizer throw is still an uncaught exception no call's code can catch, and
// there is nothing left to free, so that exact error is logged. Anything else ends the process.
process.on('uncaughtException', (err) => {
  if (isStaleFfiHandle(err)) {
    bridge.log.warn({ err: String(err) }, 'LiveKit FFI handle already freed');
    return;
  }
  bridge.log.fatal({ err: err.stack ?? String(err) }, 'uncaught exception');
  process.exit(1);
});

// Before the first webhook can come: the first calls after a start would otherwise pay V8's first
// compilations and the libraries' first-use set-up while other calls' audio waits (warm-up.ts).
const warm = await warmCallPath(config, bridge.rooms);
bridge.log.info({ ms: warm.ms, warmed: warm.warmed }, 'call path warmed');
const { livekit_api: livekitApiFailed, ...otherFailed } = warm.failed;
if (livekitApiFailed)
  bridge.log.warn(
    { err: livekitApiFailed, livekit: config.livekit.url },
    "LiveKit's server API failed at start: calls fail until it answers (check LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET)",
  );
if (Object.keys(otherFailed).length > 0)
  bridge.log.warn(
    { failed: otherFailed },
    'call path warm-up: parts failed (the first calls pay what those parts would have warmed)',
  );
const port = await bridge.listen();
bridge.log.info(
  { port, publicUrl: config.publicUrl, livekit: config.livekit.url, agentName: config.agentName },
  'bridge listening',
);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  bridge.log.info({ signal }, 'shutting down');
  await bridge.drain();
  await bridge.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
