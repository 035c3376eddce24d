/**
 * The bridge's admission at run time: the hard cap (MAX_CONCURRENT_CALLS, draining) and, when
 * adaptive, the health signals measured here every {@link SAMPLE_MS} and judged by
 * AdmissionController. One decision for the voice webhook, POST /api/calls and /health.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BridgeConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import {
  ADMISSION_SIGNALS,
  AdmissionController,
  type AdmissionReadings,
  type AdmissionSignal,
} from './admission.js';
import { cpuAllowanceCores } from './cpu-allowance.js';
import type { CallRegistry } from './registry.js';

/** How often the signals are sampled; each sample covers the interval since the previous one. */
export const SAMPLE_MS = 250;
/**
 * How long after its webhook a call's CPU is not all in the averaged reading yet: its stream opens
 * and its room fills within a second or so, and the average below lags about a second behind.
 */
export const CALL_SETTLING_MS = 2_500;
/** Weight of the newest CPU sample in the average the projection uses (≈ 1 s at 250 ms samples). */
const CPU_SMOOTHING = 0.25;
/** What a refused POST /api/calls is told (`Retry-After`, seconds). */
export const RETRY_AFTER_S = 10;

export type RefusalReason = 'capacity' | 'draining' | AdmissionSignal;
/** Where the call was refused: Twilio's voice webhook, or POST /api/calls. */
export type RefusalKind = 'webhook' | 'api';

/** Why a new call would be refused now, or undefined if it would be taken. */
export interface Refusal {
  reason: RefusalReason;
  /** Every tripped signal (empty for capacity and draining). */
  signals: AdmissionSignal[];
}

export class Admission {
  private readonly controller: AdmissionController;
  private timer?: NodeJS.Timeout;
  private stopProbes?: () => void;
  /** CPU readings averaged over about a second: one GC pause does not refuse a call. */
  private cpuAverage: number | undefined;

  constructor(
    private readonly deps: {
      settings: BridgeConfig['admission'];
      registry: CallRegistry;
      metrics: BridgeMetrics;
      log: Logger;
      /** Tests: a fake clock and fake probes instead of the process's own. */
      now?: () => number;
      probes?: (metrics: BridgeMetrics) => Probes;
    },
  ) {
    const { metrics, log } = deps;
    this.controller = new AdmissionController({
      limits: deps.settings.limits,
      sustainMs: deps.settings.sustainMs,
      now: deps.now ?? (() => performance.now()),
      onChange: (signal, tripped, reading) => {
        metrics.admissionSaturated.set({ reason: signal }, tripped ? 1 : 0);
        const fields = {
          signal,
          reading: Math.round(reading * 10) / 10,
          limit: deps.settings.limits[signal],
        };
        if (tripped) log.warn(fields, 'saturated: new calls are refused');
        else log.info(fields, 'no longer saturated: new calls are taken again');
      },
    });
    for (const reason of ADMISSION_SIGNALS) metrics.admissionSaturated.set({ reason }, 0);
  }

  /** Starts sampling (adaptive admission only); the timer never keeps the process alive. */
  start(): void {
    if (!this.deps.settings.adaptive || this.timer) return;
    const cores = cpuAllowanceCores();
    if (cores < 1)
      this.deps.log.info(
        { cpu_allowance_cores: cores },
        'cgroup CPU quota below one core: the cpu signal is measured against it',
      );
    const probe = (this.deps.probes ?? startProbes)(this.deps.metrics);
    this.stopProbes = probe.stop;
    this.timer = setInterval(() => {
      const readings = probe.read();
      this.controller.sample(readings);
      this.cpuAverage =
        this.cpuAverage === undefined
          ? readings.cpu
          : this.cpuAverage + CPU_SMOOTHING * (readings.cpu - this.cpuAverage);
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopProbes?.();
  }

  /**
   * The signals holding new calls off now (empty when adaptive admission is off): the tripped ones,
   * and `cpu` also while one call more would take the CPU over its mark once the calls still
   * settling carry media, each at the cost per settled call measured now. A call shows in the
   * reading only a second or two after its webhook, so without the settling calls a fast ramp gets
   * several calls in on headroom already spoken for; without the next call itself, the last call
   * taken lands over the mark (at a half-core quota one call is 10 points of it).
   */
  get saturated(): AdmissionSignal[] {
    if (!this.deps.settings.adaptive) return [];
    const tripped = this.controller.saturated;
    return tripped.includes('cpu') || !this.nextCallOverCpuMark() ? tripped : [...tripped, 'cpu'];
  }

  private nextCallOverCpuMark(): boolean {
    const mark = this.deps.settings.limits.cpu;
    const cpu = this.cpuAverage;
    if (!(mark > 0) || cpu === undefined) return false;
    const { settled, settling } = this.deps.registry.settlingCounts(Date.now(), CALL_SETTLING_MS);
    if (settled === 0) return false; // nothing measured per call yet
    // The reading holds part of the settling calls' cost and the bridge's idle CPU too, so this errs
    // toward refusing; it only matters near the mark.
    return cpu + ((settling + 1) * cpu) / settled > mark;
  }

  get readings(): AdmissionReadings | undefined {
    return this.controller.readings;
  }

  /**
   * Whether a new call is refused now. `adaptive: false` asks about the hard cap only (a call the
   * API placed earlier is answered even while saturated: its callee already picked up).
   */
  refusal(opts: { adaptive: boolean } = { adaptive: true }): Refusal | undefined {
    const { registry } = this.deps;
    if (registry.draining) return { reason: 'draining', signals: [] };
    if (!registry.hasCapacity()) return { reason: 'capacity', signals: [] };
    const signals = opts.adaptive ? this.saturated : [];
    return signals.length > 0 ? { reason: signals[0]!, signals } : undefined;
  }

  /** Counts a refusal (callbridge_admission_refusals_total). */
  refused(refusal: Refusal, kind: RefusalKind): void {
    this.deps.metrics.admissionRefusals.inc({ reason: refusal.reason, kind });
  }
}

export interface Probes {
  /** One sample of every signal, over the time since the previous read. */
  read: () => AdmissionReadings;
  stop: () => void;
}

/**
 * The live probes: event-loop delay, process CPU (100 = one core, or the cgroup's CPU quota when
 * lower, re-read every sample so a container resized in place is followed), the uplinks' pressure.
 */
function startProbes(metrics: BridgeMetrics): Probes {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let cpu = process.cpuUsage();
  let at = performance.now();
  return {
    read() {
      const now = performance.now();
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      const wallMs = Math.max(1, now - at);
      at = now;
      // A sample with no delay recorded (the loop never got to run the histogram's timer) is the
      // whole interval late; percentile() would say 0.
      const lagMs = loop.count > 0 ? loop.percentile(99) / 1e6 : wallMs;
      loop.reset();
      const uplink = metrics.uplinkPressure.take();
      const cores = cpuAllowanceCores();
      metrics.admissionCpuAllowance.set(cores);
      return {
        loop_lag: lagMs,
        cpu: ((used.user + used.system) / 1000 / wallMs / cores) * 100,
        uplink_drops: uplink.dropPct,
        uplink_backlog: uplink.backlogMs,
      };
    },
    stop: () => loop.disable(),
  };
}
