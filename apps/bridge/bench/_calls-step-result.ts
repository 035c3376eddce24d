// bench:calls: one step's result, from what its calls heard and what the machine spent meanwhile.
import type { CollectedEcho } from '@callbridge/testkit/livekit';
import { type LoopStalls, percentile, type ProcessUsage, round } from '@callbridge/testkit/stats';
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { type MarkerDelay, pairMarkers, sliceByTime } from './_markers.js';

/** The knee's bar: no dropped call and a p99 gap between media messages at the caller within this. */
export const GAP_BAR_MS = 40;
/** The spacing of the bridge's media messages when none is late: one Twilio frame. */
const TWILIO_FRAME_MS = 20;
/** The window's latencies are also given per slice of this length, by when the burst was sent. */
const SLICE_MS = 5000;
/** A load generator whose event loop ran later than this (p99) could have made the gaps itself. */
const LOADGEN_LAG_BAR_MS = 20;

/** CPU time so far of livekit-server, of the load generator (echo processes + this one), of all cores. */
export interface OtherCpu {
  livekit: number;
  generator: number;
  machine: number;
  bridgeCore: number;
  cores: number;
}

/** What a step observed: its calls and echoes, and the CPU counters at the start and end of its window. */
export interface StepObservations {
  n: number;
  calls: SimulatedCall[];
  busy: Set<SimulatedCall>;
  closedEarly: Set<SimulatedCall>;
  echoJoined: boolean[];
  heardByRoom: Map<string, CollectedEcho>;
  refused: Record<string, number>;
  healthAfterRamp: unknown;
  /** Per call, how many media gaps and underrun frames it had when the window started (the ramp's). */
  rampGaps: Map<SimulatedCall, number>;
  rampUnderruns: Map<SimulatedCall, number>;
  /** performance.now() when the talking window started, and how long it lasted. */
  t0: number;
  wallMs: number;
  rssBefore: number;
  cpuStart: ProcessUsage;
  cpuEnd: ProcessUsage;
  othersStart: OtherCpu;
  othersEnd: OtherCpu;
  loadgenLagMs: number;
  baselineP50Ms: number;
  /** The plain LiveKit hop measured while the step's calls talked (same cores, same load). */
  hopDuringP50Ms: number;
  /** Each of its tracks' own p50 (a track's delay is drawn when it starts). */
  hopDuringTrackP50Ms: (number | null)[];
  pinned: boolean;
  /** When the simulated phones' own event loop stalled (their reads of the bridge's media late). */
  phoneStalls: LoopStalls;
  log: (msg: string) => void;
}

/** Our performance.now() on the epoch clock the echo processes stamp their onsets with. */
const epoch = (t: number) => performance.timeOrigin + t;

export function stepResult(o: StepObservations) {
  const { n, calls, busy, closedEarly, echoJoined, heardByRoom, refused, healthAfterRamp, t0, wallMs } = o;
  const { rssBefore, cpuStart, cpuEnd, othersStart, othersEnd, loadgenLagMs, pinned, log } = o;
  const upMarkers: MarkerDelay[] = [];
  const down: number[] = [];
  const downAtTwilioMarkers: MarkerDelay[] = [];
  const gaps: number[] = [];
  const rampGaps: number[] = [];
  // Of the gaps over the bar, those the phones' own stalled event loop could explain (window, ramp).
  let phoneStalled = 0;
  let rampPhoneStalled = 0;
  let dropped = 0;
  let connected = 0;
  let underruns = 0;
  const dropReasons: Record<string, number> = {};
  // Only what happened in the window (--overload's calls talked while the rest arrived, too).
  const inWindow = (t: number) => t >= t0;
  const inWindowEpoch = (t: number) => t >= epoch(t0);
  for (const [i, call] of calls.entries()) {
    if (busy.has(call)) continue;
    const collected = echoJoined[i] ? heardByRoom.get(`call-${call.callSid}`) : undefined;
    const echo = collected && {
      ...collected,
      onsets: collected.onsets.filter(inWindowEpoch),
      published: collected.published.filter(inWindowEpoch),
    };
    const why =
      call.streamSid === null || call.streamRefused !== null
        ? 'no_stream'
        : closedEarly.has(call)
          ? 'closed_early'
          : !echo
            ? 'echo_failed'
            : echo.onsets.length === 0
              ? 'no_audio_in_room'
              : undefined;
    if (process.env.BENCH_DEBUG && why && dropped === 0)
      log(
        JSON.stringify({
          why,
          echoFrames: echo?.frames,
          sent: call.sentOnsets.length,
          heard: call.audioOnsets.length,
        }),
      );
    if (why || !echo) {
      dropped++;
      if (why) dropReasons[why] = (dropReasons[why] ?? 0) + 1;
      continue;
    }
    connected++;
    if (process.env.BENCH_DEBUG && i === 0)
      log(
        JSON.stringify({
          sent: call.sentOnsets.map((x) => Math.round(x - t0)),
          echo: echo.onsets.map((x) => Math.round(x - epoch(t0))),
          heard: call.audioOnsets.map((x) => Math.round(x - t0)),
        }),
      );
    // Each end times a burst to its first loud sample with the plain hop's detector: from when the
    // caller's frame went out (plus the burst's place in it) to the echo hearing it...
    upMarkers.push(...pairMarkers(call.markerOnsets.sent.filter(inWindow).map(epoch), echo.onsets));
    // ...and from the echo handing its burst to LiveKit (audio queued ahead of it not counted, as
    // the plain hop's sender stamps its own) to the caller's ear (the line plays one 20 ms frame
    // per tick), and to Twilio, where the bridge's hop ends and the line's playout begins. The
    // window is the echo's: a burst it sent in the window counts wherever it is heard.
    down.push(...pairMarkers(echo.published, call.markerOnsets.heard.map(epoch)).map((m) => m.delayMs));
    downAtTwilioMarkers.push(...pairMarkers(echo.published, call.markerOnsets.received.map(epoch)));
    const rampGapCount = o.rampGaps.get(call) ?? 0;
    rampGaps.push(...call.mediaGapsMs.slice(0, rampGapCount));
    gaps.push(...call.mediaGapsMs.slice(rampGapCount));
    call.mediaGapsMs.forEach((g, k) => {
      if (g <= GAP_BAR_MS || !o.phoneStalls.explain(g, call.mediaGapEndsMs[k]!, TWILIO_FRAME_MS)) return;
      if (k < rampGapCount) rampPhoneStalled++;
      else phoneStalled++;
    });
    underruns += call.underrunFrames - (o.rampUnderruns.get(call) ?? 0);
  }
  const up = upMarkers.map((m) => m.delayMs);
  const downAtTwilio = downAtTwilioMarkers.map((m) => m.delayMs);
  // The bridge's hop each way per 5 s of the window: the first slice starts 1.5 s after the last
  // call was set up, while the jitter buffers still hold what the setups cost them.
  const upSlices = sliceByTime(upMarkers, epoch(t0), SLICE_MS);
  const downSlices = sliceByTime(downAtTwilioMarkers, epoch(t0), SLICE_MS);
  const p50s = (slices: number[][]) => slices.map((d) => (d.length ? round(percentile(d, 50)) : null));
  const upLater = upSlices.slice(1).flat();
  const downLater = downSlices.slice(1).flat();
  // Per call the bridge carries: refused calls (--overload) cost it a webhook, not media.
  const carried = Math.max(1, n - busy.size);
  return {
    calls: n,
    admitted: n - busy.size,
    refused_busy: busy.size,
    refused_by: refused,
    health_after_ramp: (healthAfterRamp as { status?: string }).status ?? null,
    connected,
    dropped,
    drop_reasons: dropReasons,
    up_p50_ms: round(percentile(up, 50)),
    up_p95_ms: round(percentile(up, 95)),
    up_p99_ms: round(percentile(up, 99)),
    down_p50_ms: round(percentile(down, 50)),
    down_p95_ms: round(percentile(down, 95)),
    down_p99_ms: round(percentile(down, 99)),
    up_vs_baseline: round(percentile(up, 50) / o.baselineP50Ms),
    down_vs_baseline: round(percentile(down, 50) / o.baselineP50Ms),
    livekit_hop_during_p50_ms: o.hopDuringP50Ms,
    livekit_hop_during_track_p50_ms: o.hopDuringTrackP50Ms,
    up_vs_hop_during: round(percentile(up, 50) / o.hopDuringP50Ms),
    down_vs_hop_during: round(percentile(down, 50) / o.hopDuringP50Ms),
    // The bridge's own downlink: to where its media message reached Twilio (before the line's
    // 20 ms playout tick, which is Twilio's and the phone's, not the bridge's).
    down_at_twilio_p50_ms: round(percentile(downAtTwilio, 50)),
    down_at_twilio_p95_ms: round(percentile(downAtTwilio, 95)),
    down_at_twilio_vs_hop_during: round(percentile(downAtTwilio, 50) / o.hopDuringP50Ms),
    up_p50_ms_by_5s: p50s(upSlices),
    down_at_twilio_p50_ms_by_5s: p50s(downSlices),
    // The same after the window's first 5 s (null when the window is no longer than that).
    up_after_5s_vs_hop_during: upLater.length ? round(percentile(upLater, 50) / o.hopDuringP50Ms) : null,
    down_at_twilio_after_5s_vs_hop_during: downLater.length
      ? round(percentile(downLater, 50) / o.hopDuringP50Ms)
      : null,
    gaps_over_40ms: gaps.filter((g) => g > 40).length,
    // Before the window: while the step's calls arrived (--overload: the admitted ones talked).
    ramp_gaps_over_40ms: rampGaps.filter((g) => g > 40).length,
    // How long the longest of them was: a caller hears a 50 ms hole and a 250 ms one differently.
    ramp_gap_max_ms: round(rampGaps.reduce((max, g) => Math.max(max, g), 0)),
    // Of those two counts, the gaps the simulated phones' own stalled event loop could explain (it
    // was stalled from when the message was due until it read it): maybe the load generator's.
    gaps_phone_stalled: phoneStalled,
    ramp_gaps_phone_stalled: rampPhoneStalled,
    underrun_frames: underruns,
    gap_p99_ms: round(percentile(gaps, 99)),
    markers: up.length,
    down_markers: down.length,
    down_at_twilio_markers: downAtTwilio.length,
    cpu_pct_per_call: round((((cpuEnd.cpuMs - cpuStart.cpuMs) / wallMs) * 100) / carried, 3),
    rss_mb_per_call: round((cpuEnd.rssMb - rssBefore) / carried, 3),
    bridge_cpu_pct: round(((cpuEnd.cpuMs - cpuStart.cpuMs) / wallMs) * 100, 1),
    // How busy the bridge's own core was (anything else the machine ran there included).
    bridge_core_pct: pinned
      ? round(((othersEnd.bridgeCore - othersStart.bridgeCore) / wallMs) * 100, 1)
      : null,
    loadgen_lag_p99_ms: round(loadgenLagMs, 1),
    valid: loadgenLagMs <= LOADGEN_LAG_BAR_MS,
    // Where the rest of the machine went in the same window (100 % = one core).
    livekit_cpu_pct: round(((othersEnd.livekit - othersStart.livekit) / wallMs) * 100, 1),
    load_generator_cpu_pct: round(((othersEnd.generator - othersStart.generator) / wallMs) * 100, 1),
    machine_busy_pct: round(((othersEnd.machine - othersStart.machine) / wallMs / othersEnd.cores) * 100, 1),
  };
}
