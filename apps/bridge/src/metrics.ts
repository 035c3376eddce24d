import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { UplinkPressure } from './media/uplink-pressure.js';

/** Every Prometheus series the bridge exports, on its own registry (tests run several bridges). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'callbridge_bridge_' });
  const m = {
    registry,
    activeCalls: new Gauge({
      name: 'callbridge_active_calls',
      help: 'Calls answered and not yet ended',
      registers: [registry],
    }),
    callsEnded: new Counter({
      name: 'callbridge_calls_total',
      help: 'Calls by final outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'callbridge_rejected_total',
      help: 'Requests and messages refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    framesIn: new Counter({
      name: 'callbridge_frames_in_total',
      help: 'Twilio media frames received',
      registers: [registry],
    }),
    framesOut: new Counter({
      name: 'callbridge_frames_out_total',
      help: 'Media frames sent to Twilio',
      registers: [registry],
    }),
    lateFrames: new Counter({
      name: 'callbridge_late_frames_total',
      help: 'Caller frames that arrived more than 40 ms after the previous one, or with a sequence gap',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    uplinkDropped: new Counter({
      name: 'callbridge_uplink_dropped_frames_total',
      help: 'Caller frames dropped because LiveKit could not take them fast enough',
      registers: [registry],
    }),
    conversionSeconds: new Histogram({
      name: 'callbridge_frame_conversion_seconds',
      help: 'Time to convert one 20 ms frame, by direction',
      labelNames: ['direction'] as const,
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
      registers: [registry],
    }),
    callDuration: new Histogram({
      name: 'callbridge_call_duration_seconds',
      help: 'Duration of ended calls',
      buckets: [5, 15, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    agentRedispatches: new Counter({
      name: 'callbridge_agent_redispatches_total',
      help: 'Agents dispatched again because the first one left mid-call',
      registers: [registry],
    }),
    greetingSeconds: new Histogram({
      name: 'callbridge_greeting_seconds',
      help: 'Time to first agent audio: stream start to the first agent audio sent to the caller',
      buckets: [0.25, 0.5, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10],
      registers: [registry],
    }),
    answerWaitSeconds: new Histogram({
      name: 'callbridge_answer_wait_seconds',
      help: 'Inbound calls: how long the caller rang after the webhook while the agent came up (ANSWER_WAIT_FOR_AGENT_S)',
      labelNames: ['readiness'] as const,
      buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
      registers: [registry],
    }),
    turnSeconds: new Histogram({
      name: 'callbridge_turn_latency_seconds',
      help: "Per turn: the caller's last loud frame to the first agent audio of the answer",
      buckets: [0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 5],
      registers: [registry],
    }),
    clears: new Counter({
      name: 'callbridge_clears_total',
      help: 'clear messages sent on barge-in',
      registers: [registry],
    }),
    admissionSaturated: new Gauge({
      name: 'callbridge_admission_saturated',
      help: 'Adaptive admission: 1 while this health signal holds new calls off (loop_lag, cpu, uplink_drops, uplink_backlog)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    admissionCpuAllowance: new Gauge({
      name: 'callbridge_admission_cpu_allowance_cores',
      help: "Adaptive admission: the CPU the cpu signal is measured against, in cores (1, or the bridge's cgroup CPU quota when lower)",
      registers: [registry],
    }),
    admissionRefusals: new Counter({
      name: 'callbridge_admission_refusals_total',
      help: 'New calls refused by admission, by reason (capacity, draining, or the saturated signal) and where (webhook: the caller heard BUSY_MESSAGE; api: POST /api/calls answered 503)',
      labelNames: ['reason', 'kind'] as const,
      registers: [registry],
    }),
    /** Not a series: the uplinks' frames, drops and backlog per admission window (uplink-pressure.ts). */
    uplinkPressure: new UplinkPressure(),
    transfers: new Counter({
      name: 'callbridge_transfers_total',
      help: 'Warm transfers by result: accepted, or why the caller came back (no-answer, busy, failed, canceled, declined)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
  return m;
}

export type BridgeMetrics = ReturnType<typeof createMetrics>;
