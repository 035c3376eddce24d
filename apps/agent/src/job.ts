/**
 * The job entry LiveKit Agents loads in each call process (ServerOptions.agent points here).
 * Config is read from the same environment as the worker, which already validated it.
 */
import { defineAgent, type JobContext, type JobProcess } from '@livekit/agents';
import { runCall } from './call/run-call.js';
import { loadConfig, type AgentConfig } from './config.js';
import { createLogger } from './ops/logger.js';
import { MetricsReporter } from './ops/metrics-relay.js';
import { leaveWhenWorkerGone } from './ops/worker-gone.js';

type ProcessData = { config: AgentConfig };

export default defineAgent<ProcessData>({
  // Runs once per (pre-spawned) process, before any call: fail there, not mid-call.
  // Everything the call path imports is loaded (and, under tsx, transpiled) with this module, at
  // process start; the worker waits for this report before it says it is ready for calls.
  prewarm: (proc: JobProcess<ProcessData>) => {
    proc.userData.config = loadConfig();
    const reporter = new MetricsReporter();
    reporter.report({ metric: 'processWarm' });
    void reporter.close();
  },
  entry: async (ctx: JobContext<ProcessData>) => {
    const config = ctx.proc.userData.config ?? loadConfig();
    const logger = createLogger(config.logLevel, 'callbridge-agent-call');
    leaveWhenWorkerGone(ctx, logger);
    await runCall(ctx, { config, logger, metrics: new MetricsReporter() });
  },
});
