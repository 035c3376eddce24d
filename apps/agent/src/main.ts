/**
 * Agent worker entry point.
 *
 *   node apps/agent/dist/main.js start      (after `npm run build`; from the sources:
 *   node --import tsx apps/agent/src/main.ts start)
 *
 * SIGTERM drains (no new calls; active calls finish, up to DRAIN_TIMEOUT_S), then exits 0.
 * SIGINT stops at once; a second SIGINT or SIGTERM forces exit.
 */
import { skipLsbReleaseProbe } from '@callbridge/room-contract/os-probe';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './ops/logger.js';
import { startWorker } from './worker.js';

const USAGE = 'usage: main.ts [start]   (configuration comes from the environment; see apps/agent/README.md)';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 1 || (args[0] !== undefined && args[0] !== 'start')) {
    console.error(USAGE);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // Before the call processes start: they inherit the PATH (job.ts makes sure of it too).
  skipLsbReleaseProbe();
  const worker = await startWorker(config, logger);

  const shutdown = (signal: NodeJS.Signals, drain: boolean) => {
    logger.info({ signal, drain }, 'shutdown requested');
    const force = () => {
      logger.warn('second signal, exiting now');
      process.exit(1);
    };
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
    worker.stop({ drain }).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM', true));
  process.once('SIGINT', () => shutdown('SIGINT', false));

  await worker.done.catch(() => process.exit(1));
}

await main();
