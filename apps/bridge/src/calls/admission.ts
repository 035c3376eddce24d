/**
 * Admission that follows the bridge's measured health: each signal (event-loop lag, process CPU,
 * the caller uplink's dropped frames and capture backlog) trips when it has stayed over its high
 * mark for a sustained window, and clears only once it has stayed under a lower mark for the same
 * window, so the bridge does not flap between taking and refusing calls. The bridge is saturated
 * while any signal is tripped. Pure: readings and the clock come from outside (admission-probes.ts
 * measures them), so it is tested on a fake clock.
 */

export const ADMISSION_SIGNALS = ['loop_lag', 'cpu', 'uplink_drops', 'uplink_backlog'] as const;
export type AdmissionSignal = (typeof ADMISSION_SIGNALS)[number];

/**
 * One sample of each signal over the last sampling interval: `loop_lag` (p99 event-loop delay, ms),
 * `cpu` (process CPU, % of one core), `uplink_drops` (caller frames dropped, % of frames in),
 * `uplink_backlog` (mean capture backlog of the caller frames handed to LiveKit, ms).
 */
export type AdmissionReadings = Record<AdmissionSignal, number>;

/** High marks per signal; 0 turns a signal off. */
export type AdmissionLimits = Record<AdmissionSignal, number>;

/** A tripped signal clears once under this fraction of its high mark for the sustain window. */
export const RECOVER_RATIO = 0.75;

export interface AdmissionOptions {
  limits: AdmissionLimits;
  /** How long a signal must stay over its high mark to trip, and under its low mark to clear. */
  sustainMs: number;
  now: () => number;
  /** A signal tripped or cleared; `reading` is the sample that decided it. */
  onChange?: (signal: AdmissionSignal, tripped: boolean, reading: number) => void;
}

interface SignalState {
  tripped: boolean;
  /** Since when the samples have been on the other side of the mark that would flip the state. */
  since: number | undefined;
}

export class AdmissionController {
  private readonly state = new Map<AdmissionSignal, SignalState>(
    ADMISSION_SIGNALS.map((s) => [s, { tripped: false, since: undefined }]),
  );
  private last: AdmissionReadings | undefined;

  constructor(private readonly opts: AdmissionOptions) {}

  /** Takes one sample of every signal (a missing one counts as healthy). */
  sample(readings: Partial<AdmissionReadings>): void {
    const now = this.opts.now();
    const full = Object.fromEntries(ADMISSION_SIGNALS.map((s) => [s, readings[s] ?? 0])) as AdmissionReadings;
    this.last = full;
    for (const signal of ADMISSION_SIGNALS) {
      const high = this.opts.limits[signal];
      const st = this.state.get(signal)!;
      if (!(high > 0)) {
        st.tripped = false;
        st.since = undefined;
        continue;
      }
      const value = full[signal];
      // Tripped: wait for a run under the low mark. Clear: wait for a run over the high mark.
      const flipping = st.tripped ? value < high * RECOVER_RATIO : value > high;
      if (!flipping) {
        st.since = undefined;
        continue;
      }
      st.since ??= now;
      if (now - st.since >= this.opts.sustainMs) {
        st.tripped = !st.tripped;
        st.since = undefined;
        this.opts.onChange?.(signal, st.tripped, value);
      }
    }
  }

  /** The tripped signals (empty while the bridge takes calls). */
  get saturated(): AdmissionSignal[] {
    return ADMISSION_SIGNALS.filter((s) => this.state.get(s)!.tripped);
  }

  /** The latest sample, for /health. */
  get readings(): AdmissionReadings | undefined {
    return this.last;
  }
}
