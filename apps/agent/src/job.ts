/**
 * The job entry LiveKit Agents loads in each call process (ServerOptions.agent points here).
 * Config is read from the same environment as the worker, which already validated it.
 */
import { skipLsbReleaseProbe } from '@callbridge/room-contract/os-probe';
import { defineAgent, type JobContext, type JobProcess } from '@livekit/agents';
import { runCall } from './call/run-call.js';
import { loadConfig, type AgentConfig } from './config.js';
import { createLogger, type Logger } from './ops/logger.js';
import { MetricsReporter } from './ops/metrics-relay.js';
import { warmCallProcess } from './ops/warm-up.js';
import { leaveWhenWorkerGone } from './ops/worker-gone.js';

type ProcessData = { config: AgentConfig; logger: Logger };

export default defineAgent<ProcessData>({
  // Runs once per (pre-spawned) process, before any call: fail there, not mid-call.
  // Everything the call path imports is loaded with this module, at process start, and the work a
  // call would otherwise do the first time is done here (ops/warm-up.ts); the worker waits for this
  // report before it says it is ready for calls.
  prewarm: (proc: JobProcess<ProcessData>) => {
    const config = loadConfig();
    // The room connect runs no `lsb_release` (kept from the worker's PATH, or made here).
    skipLsbReleaseProbe();
    proc.userData.config = config;
    proc.userData.logger = createLogger(config.logLevel, 'callbridge-agent-call');
    proc.userData.logger.debug(warmCallProcess(config), 'call process warmed up');
    const reporter = new MetricsReporter();
    reporter.report({ metric: 'processWarm' });
    void reporter.close();
  },
  entry: async (ctx: JobContext<ProcessData>) => {
    const cpuAtStart = process.cpuUsage();
    const config = ctx.proc.userData.config ?? loadConfig();
    const logger = ctx.proc.userData.logger ?? createLogger(config.logLevel, 'callbridge-agent-call');
    leaveWhenWorkerGone(ctx, logger);
    const cpuMs = () => {
      const used = process.cpuUsage(cpuAtStart);
      return Math.round((used.user + used.system) / 1000);
    };
    await runCall(ctx, { config, logger, metrics: new MetricsReporter(), cpuMs });
  },
});
