// The bridge process: reads the environment, serves Twilio, drains on SIGTERM.
import { ConfigError, loadConfig } from './config.js';
import { createBridge } from './server.js';

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

const bridge = createBridge(config);
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
// One bad call must never take the others down: log and keep serving.
process.on('unhandledRejection', (err) => bridge.log.error({ err: String(err) }, 'unhandled rejection'));
// Anything thrown outside a call's own handlers is a bug in the process itself: log it where the
// operator looks, then let the supervisor restart the process.
process.on('uncaughtException', (err) => {
  bridge.log.fatal({ err: err.stack ?? String(err) }, 'uncaught exception');
  process.exit(1);
});
