import type { LiveCalls } from '../calls/live-calls.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import type { CallRecorder } from '../records/call-recorder.js';
import { CallLatency } from './call-latency.js';

export interface LatencyReport {
  callSid: string;
  /** The call's logger when a latency is measured (a failed transfer's new stream has its own). */
  log: () => Logger;
  metrics: BridgeMetrics;
  recorder?: CallRecorder;
  live?: Pick<LiveCalls, 'update' | 'addTurn'>;
}

/** The call's latency, measured from the stream's start; each greeting and turn is logged, counted and recorded. */
export function reportedLatency(startedAt: number, r: LatencyReport): CallLatency {
  const { callSid, metrics, recorder, live } = r;
  const latency: CallLatency = new CallLatency(startedAt, {
    onGreeting: (ms) => {
      r.log().info({ greetingMs: ms }, 'first agent audio');
      metrics.greetingSeconds.observe(ms / 1000);
      void recorder?.greeting(callSid, ms);
      live?.update(callSid, { greetingMs: ms });
    },
    onTurn: (ms) => {
      r.log().info({ turnMs: ms, turn: latency.turnsMs.length }, 'agent answered');
      metrics.turnSeconds.observe(ms / 1000);
      void recorder?.turn(callSid, ms);
      live?.addTurn(callSid, ms);
    },
  });
  return latency;
}
