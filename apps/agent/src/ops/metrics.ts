import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus series the agent worker exports. Calls run in child processes (one per job), so
 * these live in the worker's main process and the children report into them over the metrics
 * relay (see metrics-relay.ts); `activeSessions` is read from the worker itself at scrape time.
 */
export function createMetrics(activeSessions: () => number, maxSessions: number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'callbridge_agent_' });
  return {
    registry,
    activeSessions: new Gauge({
      name: 'callbridge_agent_active_sessions',
      help: 'Calls this worker is running now',
      registers: [registry],
      collect() {
        this.set(activeSessions());
      },
    }),
    maxSessions: new Gauge({
      name: 'callbridge_agent_max_sessions',
      help: 'MAX_CALLS_PER_WORKER: calls at which the worker reports itself full',
      registers: [registry],
      collect() {
        this.set(maxSessions);
      },
    }),
    sessions: new Counter({
      name: 'callbridge_agent_sessions_total',
      help: 'Calls ended, by how they ended',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    turns: new Counter({
      name: 'callbridge_agent_turns_total',
      help: 'Conversation turns added to the transcript, by speaker',
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    toolCalls: new Counter({
      name: 'callbridge_agent_tool_calls_total',
      help: 'Tool calls made by the model, by tool and outcome',
      labelNames: ['tool', 'outcome'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'callbridge_agent_errors_total',
      help: 'Errors during calls, by source and whether the session could continue',
      labelNames: ['source', 'recoverable'] as const,
      registers: [registry],
    }),
    modelReconnects: new Counter({
      name: 'callbridge_agent_model_reconnects_total',
      help: 'Realtime model WebSocket reconnections',
      registers: [registry],
    }),
    greetingSeconds: new Histogram({
      name: 'callbridge_agent_greeting_seconds',
      help: 'From the caller joining to the agent starting to speak',
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 10],
      registers: [registry],
    }),
  };
}

export type AgentMetrics = ReturnType<typeof createMetrics>;
