/**
 * The agent worker process: registers with LiveKit under AGENT_NAME for explicit dispatch, runs
 * each call in a child process (LiveKit Agents' process pool), reports load as calls in use over
 * MAX_CALLS_PER_WORKER, serves health and metrics, and drains on request.
 */
import { AgentServer, initializeLogger, ServerOptions, type JobRequest } from '@livekit/agents';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentConfig } from './config.js';
import { CallCapacity } from './ops/capacity.js';
import { startHealthServer } from './ops/health-server.js';
import type { Logger } from './ops/logger.js';
import { createMetrics } from './ops/metrics.js';
import { METRICS_SOCKET_ENV, startMetricsRelay } from './ops/metrics-relay.js';

export interface RunningWorker {
  healthPort: number;
  /** Resolves when the worker stops on its own (e.g. LiveKit unreachable after retries). */
  done: Promise<void>;
  /**
   * Stops the worker. With `drain`, LiveKit is told the worker is full, no new calls are
   * accepted, and active calls run to their end (up to DRAIN_TIMEOUT_S) before it closes.
   */
  stop(opts: { drain: boolean }): Promise<void>;
}

export async function startWorker(config: AgentConfig, logger: Logger): Promise<RunningWorker> {
  // The framework logs through its own pino instance; it must exist before anything else runs.
  initializeLogger({ pretty: false, level: config.logLevel });

  // `server` is only read by these callbacks once it exists (they run after construction).
  const capacity: CallCapacity = new CallCapacity(config.maxCallsPerWorker, (): string[] =>
    server.activeJobs.map((j) => j.job.id),
  );
  const metrics = createMetrics((): number => server.activeJobs.length, config.maxCallsPerWorker);
  // Ready for calls means registered with LiveKit *and* a call process warm (prewarmed, every
  // module loaded): a call taken before that waits seconds for the process to start.
  let warmAt: number | undefined;
  let workerId: string | undefined;
  let announced = false;
  const startedAt = Date.now();
  const announce = () => {
    if (announced || workerId === undefined || warmAt === undefined) return;
    announced = true;
    logger.info(
      {
        workerId,
        agentName: config.agentName,
        maxCalls: config.maxCallsPerWorker,
        warmMs: warmAt - startedAt,
      },
      'worker registered',
    );
  };
  const relay = await startMetricsRelay(metrics, logger, {
    onProcessWarm: () => {
      warmAt ??= Date.now();
      announce();
    },
  });
  // Call processes are forked from this one and inherit the environment.
  process.env[METRICS_SOCKET_ENV] = relay.socketPath;

  let registered = false;
  let draining = false;
  const requestFunc = async (req: JobRequest) => {
    const room = req.room?.name;
    if (draining || !capacity.tryReserve(req.id)) {
      logger.info({ jobId: req.id, room, inUse: capacity.inUse, draining }, 'job refused, worker full');
      await req.reject();
      return;
    }
    logger.info({ jobId: req.id, room }, 'job accepted');
    await req.accept('Agent', `agent-${req.id}`);
  };

  // Source runs under tsx (.ts); a compiled build would be .js. The job file sits next to this one.
  const jobFile = fileURLToPath(new URL(`./job${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const server: AgentServer = new AgentServer(
    new ServerOptions({
      agent: jobFile,
      agentName: config.agentName,
      wsURL: config.livekit.url,
      apiKey: config.livekit.apiKey,
      apiSecret: config.livekit.apiSecret,
      requestFunc,
      loadFunc: async (): Promise<number> => capacity.load(),
      loadThreshold: 1,
      numIdleProcesses: config.idleProcesses,
      // LiveKit Agents' default is 10 s: on a CPU-starved host a process that needs 12 s to load is
      // killed and replaced by one that needs as long, and no call process is ever ready.
      initializeProcessTimeout: config.processInitTimeoutMs,
      drainTimeout: config.drainTimeoutMs,
      // The framework's own status server is internal; ours (HEALTH_PORT) is the public one.
      host: '127.0.0.1',
      port: 0,
      production: false,
      logLevel: config.logLevel,
    }),
  );
  server.event.on('worker_registered', (id: string) => {
    registered = true;
    workerId = id;
    announce();
  });

  const health = await startHealthServer({
    host: config.health.host,
    port: config.health.port,
    registry: metrics.registry,
    logger,
    status: () => ({
      workerId: server.id,
      registered,
      draining,
      activeCalls: server.activeJobs.length,
      maxCalls: config.maxCallsPerWorker,
    }),
  });
  logger.info({ port: health.port }, 'health and metrics listening');

  const done = server.run().catch((err: unknown) => {
    logger.fatal({ err }, 'worker stopped');
    throw err;
  });

  let stopping: Promise<void> | undefined;
  const stop = ({ drain }: { drain: boolean }) =>
    (stopping ??= (async () => {
      draining = true;
      if (drain) {
        logger.info({ activeCalls: server.activeJobs.length }, 'draining: finishing active calls');
        try {
          await server.drain(config.drainTimeoutMs);
        } catch (err) {
          logger.warn({ err, activeCalls: server.activeJobs.length }, 'drain timed out, closing anyway');
        }
      }
      await server.close();
      await health.close();
      await relay.close();
      logger.info('worker stopped');
    })());

  return { healthPort: health.port, done, stop };
}
