import type { CallStore } from '../records/call-store.js';

export interface OutboundLimits {
  perNumberHour: number;
  perNumberDay: number;
  globalHour: number;
  globalDay: number;
}

export interface LimitRefusal {
  /** The setting that refused the call, named so the operator knows what to raise. */
  setting: string;
  message: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Counts outbound calls already placed (from the records, so the limits hold across restarts and,
 * with PostgreSQL, across bridge instances) and refuses the next one when a window is full.
 */
export async function checkOutboundLimits(
  store: CallStore,
  to: string,
  limits: OutboundLimits,
  nowMs = Date.now(),
): Promise<LimitRefusal | null> {
  const windows = [
    {
      setting: 'OUTBOUND_LIMIT_PER_NUMBER_HOUR',
      limit: limits.perNumberHour,
      ms: HOUR_MS,
      to,
      label: `to ${to} in the last hour`,
    },
    {
      setting: 'OUTBOUND_LIMIT_PER_NUMBER_DAY',
      limit: limits.perNumberDay,
      ms: DAY_MS,
      to,
      label: `to ${to} in the last 24 hours`,
    },
    {
      setting: 'OUTBOUND_LIMIT_GLOBAL_HOUR',
      limit: limits.globalHour,
      ms: HOUR_MS,
      to: undefined,
      label: 'in the last hour',
    },
    {
      setting: 'OUTBOUND_LIMIT_GLOBAL_DAY',
      limit: limits.globalDay,
      ms: DAY_MS,
      to: undefined,
      label: 'in the last 24 hours',
    },
  ];
  for (const w of windows) {
    const placed = await store.countOutboundSince(nowMs - w.ms, w.to);
    if (placed >= w.limit) {
      return {
        setting: w.setting,
        message: `rate limit reached: ${placed} outbound calls ${w.label} (${w.setting}=${w.limit}); try again later`,
      };
    }
  }
  return null;
}
