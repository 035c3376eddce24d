// npm run bench:calls [-- --steps 10,50,100,200 --seconds 20 --echoes-per-process 10 --resolution 5 --no-pin]
// npm run bench:calls -- --overload [--max 25 --steps 25,50 --ramp-per-second 4]
// npm run bench:calls -- --bridge-cpu 0.5 [...] (the bridge under a 0.5-core cgroup quota)
// npm run bench:calls -- --help prints the options.
// N concurrent simulated Twilio calls through the real bridge (its own process) and a real
// livekit-server, each with an rtc-node echo participant in the room sending the caller's audio
// straight back (echoes run in a pool of processes, so the load generator is not the bottleneck).
// Markers in the caller's audio give uplink (caller → room) and downlink (room → caller) latency;
// CPU and RSS come from /proc. The steps ramp until one misses the bar (a dropped call, or a p99
// media gap at the caller over 40 ms), then bisect to the knee within --resolution calls; --fixed
// runs exactly the given steps. Last line: one JSON object.
// The knee is measured with adaptive admission off. --overload runs the given steps with it on (the
// bridge's defaults) and MAX_CONCURRENT_CALLS at --max, offering calls past the limit (e.g. twice it),
// at --ramp-per-second (default 4: admission reacts within ADMISSION_SUSTAIN_S); each step says
// how many calls were admitted, how many refused with the busy message and why, and the audio bar
// (dropped, gaps over 40 ms) of the admitted ones. There the admitted calls talk from the moment
// they are up, as callers and agents do (admission learns what a call costs from calls that talk),
// and the gaps they heard while the rest arrived are reported apart (`ramp_gaps_over_40ms`).
// Pinned (the default on a machine with 2+ cores and taskset): the bridge runs alone on core 0 and
// everything else (livekit-server, the simulated phones in this process, the echo processes) on the
// other cores, so the knee is what one bridge core carries. The load generator's event-loop lag is
// measured in every step; a step where it ran late measures the generator, not the bridge, and is
// discarded (valid: false) and ends the ramp.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dispose } from '@livekit/rtc-node';
import { skipLsbReleaseProbe } from '@callbridge/room-contract/os-probe';
import {
  EchoPool,
  loopbackFramesWithin,
  measureLoopbackLatency,
  startLiveKitServer,
} from '@callbridge/testkit/livekit';
import { LoopStalls, machineCpu, processUsage, round } from '@callbridge/testkit/stats';
import { setRtcNodeLogLevel } from '@callbridge/testkit/process';
import { TwilioSimulator, type SimulatedCall } from '@callbridge/testkit/twilio';
import { startBridgeProcess } from './_bridge-process.js';
import { bridgeEnvForCodec, phoneAudioSampleRate } from './_codec.js';
import { parseCallsArgs } from './_calls-args.js';
import { confineToCpuQuota, type CpuQuota } from './_cpu-quota.js';
import { GAP_BAR_MS, type OtherCpu, stepResult } from './_calls-step-result.js';
import { kneeOf, searchKnee } from './_knee-search.js';
import { markerPattern } from './_markers.js';
import { RampTalk } from './_ramp-talk.js';
import { admissionRefusals, refusalsSince, refusedBusy } from './_overload.js';
import { pinLoadGenerator, prioritisePhones } from './_pinning.js';

const args = parseCallsArgs();
const log = (msg: string) => process.stderr.write(`${msg}\n`);
setRtcNodeLogLevel('warn'); // rtc-node logs every room's connect at debug, straight to stdout
// The echo processes (forked from here) inherit it: the load generator's joins start no `lsb_release`.
skipLsbReleaseProbe();
let finished = false;
const AUTH_TOKEN = 'bench-auth-token';
/** The bridge's core when pinned; the load generator and livekit-server get all the others. */
const BRIDGE_CORE = 0;
/** The plain hop beside a step's calls: this many tracks one after another (see measureLoopbackLatency). */
const HOP_DURING_ROUNDS = 4;
/** Its bursts every 160 ms: four a round in an 8 s step, and a hop up to 160 ms pairs with its own burst. */
const HOP_DURING_MARKER_EVERY = 8;

/** The ADMISSION_* settings this benchmark was started with, handed on to the bridge it measures. */
function admissionSettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith('ADMISSION_') && e[1] !== undefined,
    ),
  );
}

const pinned = pinLoadGenerator({ noPin: args.noPin, bridgeCore: BRIDGE_CORE, log });
// --realtime-phones: the simulated phones, which time every media message they read, run first on
// their core (for runs that count gaps; it favours the plain hop measured here too).
const phonesRealtime = pinned && args.realtimePhones && prioritisePhones(log);
if (args.realtimePhones && !pinned) log('bench:calls: --realtime-phones ignored: the run is not pinned');

const lk = await startLiveKitServer({
  audioCodecs: args.codec === 'pcmu' ? ['audio/pcmu'] : undefined,
  extraConfig: 'limit:\n  num_tracks: -1\n',
});
log(`livekit-server ${lk.url}; measuring the loopback baseline…`);
const baseline = await measureLoopbackLatency(lk, { frames: 500 });
log(`baseline one-way p50 ${baseline.p50_ms} ms`);

// BENCH_CPU_PROF=dir writes a V8 CPU profile of the bridge there (open it in Chrome DevTools);
// BENCH_BRIDGE_NODE_ARGS adds Node flags to the bridge (e.g. "--trace-gc", "--import ./probe.mjs").
const bridgeProcess = await startBridgeProcess({
  lk,
  authToken: AUTH_TOKEN,
  // --overload: the bridge's admission defaults, or the bench's own ADMISSION_* settings if given.
  env: {
    ...bridgeEnvForCodec(args.codec),
    ...(args.overload
      ? { MAX_CONCURRENT_CALLS: String(args.max), ADMISSION_ADAPTIVE: 'true', ...admissionSettings() }
      : { MAX_CONCURRENT_CALLS: String(Math.max(...args.steps) + 10), ADMISSION_ADAPTIVE: 'false' }),
  },
  nodeArgs: [
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ...(process.env.BENCH_BRIDGE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
  ],
  cpus: pinned ? String(BRIDGE_CORE) : undefined,
});
const bridgeApp = bridgeProcess.app;
let quota: CpuQuota | undefined;
try {
  quota =
    args.bridgeCpu === undefined
      ? undefined
      : confineToCpuQuota(bridgeApp.pid, args.bridgeCpu, args.bridgeCpuPeriodMs, args.bridgeCpuBurstMs);
} catch (err) {
  log(`bench:calls: ${(err as Error).message}`);
  await bridgeApp.stop('SIGINT');
  await lk.stop();
  process.exit(2);
}
if (quota) log(`bridge confined to ${quota.cores} cores (${quota.cgroup})`);
void bridgeApp.exited.then((code) => {
  if (finished) return;
  log(`the bridge exited (${code}) mid-benchmark; its last output:\n${bridgeApp.logs().slice(-6000)}`);
  process.exit(1);
});
const publicUrl = bridgeProcess.publicUrl;
const health = bridgeProcess.health;
const sim = new TwilioSimulator({ authToken: AUTH_TOKEN });
// A fresh pool for every step: after an overloaded step, rooms that never finished joining keep its
// processes busy and would make the next step measure the load generator's leftovers.
let echoPool = await EchoPool.start(lk, 1);
/** CPU time so far of livekit-server, of the load generator (echo processes + this one), of all cores. */
function otherCpuMs(): OtherCpu {
  const self = process.cpuUsage();
  const machine = machineCpu();
  return {
    livekit: processUsage(lk.pid).cpuMs,
    generator:
      echoPool.pids.reduce((sum, pid) => sum + processUsage(pid).cpuMs, 0) + (self.user + self.system) / 1000,
    machine: machine.busyMs,
    bridgeCore: machine.coreBusyMs[BRIDGE_CORE] ?? 0,
    cores: machine.cores,
  };
}
const idle = processUsage(bridgeApp.pid);
log(`bridge pid ${bridgeApp.pid}, idle RSS ${round(idle.rssMb, 1)} MB`);

async function runStep(n: number) {
  await echoPool.stop();
  echoPool = await EchoPool.start(lk, Math.ceil(n / args.echoesPerProcess));
  log(`step: ${n} calls for ${args.seconds} s (${echoPool.processes} echo processes)…`);
  const calls: SimulatedCall[] = [];
  const closedEarly = new Set<SimulatedCall>();
  const echoJoins: Promise<boolean>[] = [];
  const rssBefore = processUsage(bridgeApp.pid).rssMb;
  const refusalsBefore = await admissionRefusals(publicUrl);
  const busy = new Set<SimulatedCall>();
  const rampTalk = new RampTalk(calls, Boolean(process.env.BENCH_DEBUG));
  const stalls = new LoopStalls().start();
  for (let i = 0; i < n; i++) {
    const call = await sim.placeInboundCall({
      voiceUrl: `${publicUrl}/twilio/voice`,
      statusCallbackUrl: `${publicUrl}/twilio/status`,
      from: `+1555${String(1_000_000 + i).slice(-7)}`,
      to: '+15550000000',
      keepHeard: false,
    });
    calls.push(call);
    void call.closed.then(() => closedEarly.add(call));
    if (refusedBusy(call)) {
      busy.add(call);
      echoJoins.push(Promise.resolve(false));
      await new Promise((r) => setTimeout(r, 1000 / args.rampPerSecond));
      continue;
    }
    echoJoins.push(
      echoPool.join(`call-${call.callSid}`).then(
        () => true,
        () => false,
      ),
    );
    if (args.overload) rampTalk.start(call, i);
    await new Promise((r) => setTimeout(r, 1000 / args.rampPerSecond));
  }
  const echoJoined = await Promise.all(echoJoins);
  const refused = refusalsSince(refusalsBefore, await admissionRefusals(publicUrl));
  const healthAfterRamp = await health();
  // Let every call settle, then measure a window in which all of them talk.
  await new Promise((r) => setTimeout(r, 1500));
  await echoPool.collect(); // starts the echo processes' lag window here
  const rampTalkEnded = rampTalk.stop();
  if (process.env.BENCH_DEBUG)
    log(`ramp gaps over 40 ms by the age of the call hearing them: ${JSON.stringify(rampTalk.gapsByAge)}`);
  const rampGaps = new Map(calls.map((c) => [c, c.mediaGapsMs.length]));
  const rampUnderruns = new Map(calls.map((c) => [c, c.underrunFrames]));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpuStart = processUsage(bridgeApp.pid);
  const othersStart = otherCpuMs();
  const t0 = performance.now();
  // The plain hop again, beside the calls: what LiveKit and this core give any participant now.
  // Four tracks one after another (each draws its own delay, as each call does), ending half a
  // second before the talk does, so every round measures beside talking calls.
  const hopDuring = measureLoopbackLatency(lk, {
    rounds: HOP_DURING_ROUNDS,
    markerEvery: HOP_DURING_MARKER_EVERY,
    frames: loopbackFramesWithin(args.seconds * 1000 - 500, HOP_DURING_ROUNDS, HOP_DURING_MARKER_EVERY),
  });
  // A call without a stream (refused, or its webhook failed) throws at once: counted below.
  await Promise.all(
    calls.map(async (c, i) => {
      if (busy.has(c)) return;
      try {
        await c.sendAudio(markerPattern(args.seconds, 100 + ((i * 37) % 800)));
      } catch {
        // the call lost its stream: counted below
      }
    }),
  );
  await rampTalkEnded;
  await new Promise((r) => setTimeout(r, 600));
  const wallMs = performance.now() - t0;
  const cpuEnd = processUsage(bridgeApp.pid);
  const othersEnd = otherCpuMs();
  lag.disable();
  const { echoes: heardByRoom, lagP99Ms: echoLagMs } = await echoPool.collect();
  const { p50_ms: hopDuringP50Ms, track_p50_ms: hopDuringTrackP50Ms } = await hopDuring;
  // The simulated phones live in this process; the echoes in theirs. The later of the two.
  const loadgenLagMs = Math.max(lag.percentile(99) / 1e6, echoLagMs);

  if (process.env.BENCH_DEBUG) {
    const lines = lk.logs().split('\n');
    const notable = lines.filter((l) => /ICE|fail|error|timeout|closing|limit/i.test(l));
    log(`livekit log lines so far: ${lines.length}, notable: ${notable.length}`);
    for (const l of notable.slice(-8)) log(`  ${l.slice(0, 240)}`);
    const text = await (await fetch(`${publicUrl}/metrics`)).text();
    log(
      text
        .split('\n')
        .filter((l) => /^callbridge_(frames_in|uplink_dropped|frames_out|late)/.test(l))
        .join(' | '),
    );
  }
  stalls.stop();
  if (process.env.BENCH_DEBUG)
    log(
      `gaps over ${GAP_BAR_MS} ms (call#:age at its end ms:gap ms): ${calls
        .flatMap((c, i) =>
          c.mediaGapsMs.flatMap((g, k) =>
            g > GAP_BAR_MS
              ? [`${i}:${Math.round(c.mediaGapEndsMs[k]! - c.streamStartedAtMs)}:${Math.round(g)}`]
              : [],
          ),
        )
        .join(' ')}`,
    );
  const step = stepResult({
    n,
    calls,
    busy,
    closedEarly,
    echoJoined,
    heardByRoom,
    refused,
    healthAfterRamp,
    rampGaps,
    rampUnderruns,
    t0,
    wallMs,
    rssBefore,
    cpuStart,
    cpuEnd,
    othersStart,
    othersEnd,
    loadgenLagMs,
    baselineP50Ms: baseline.p50_ms,
    hopDuringP50Ms,
    hopDuringTrackP50Ms,
    pinned,
    phoneStalls: stalls,
    log,
  });

  // Echoes first (see bench/soak.ts: a participant the server takes out leaks natively in rtc-node).
  await echoPool.leaveAll();
  await Promise.all(calls.map((c) => c.hangup().catch(() => undefined)));
  for (let i = 0; i < 100 && (await health()).active_calls > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  // Whatever the bridge still burns with no calls left is work the last step left behind.
  const idleStart = processUsage(bridgeApp.pid);
  const idleT0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const done = {
    ...step,
    bridge_cpu_pct_after: round(
      ((processUsage(bridgeApp.pid).cpuMs - idleStart.cpuMs) / (performance.now() - idleT0)) * 100,
      1,
    ),
    meets_bar: step.valid && step.dropped === 0 && step.gap_p99_ms !== null && step.gap_p99_ms <= GAP_BAR_MS,
  };
  log(JSON.stringify(done));
  return done;
}

type Step = Awaited<ReturnType<typeof runStep>>;
const steps: Step[] = [];
if (args.fixed || args.overload) {
  for (const n of args.steps) steps.push(await runStep(n));
} else {
  steps.push(...(await searchKnee(args.steps, args.resolution, runStep)));
}

finished = true;
const { knee, limitedBy: kneeLimitedBy } = kneeOf(steps);
await bridgeApp.stop('SIGINT');
quota?.release();
await echoPool.stop();
await lk.stop();
await dispose();
console.log(
  JSON.stringify({
    baseline_p50_ms: baseline.p50_ms,
    pinned,
    phones_realtime: phonesRealtime,
    bridge_cpu_quota_cores: quota?.cores ?? null,
    bridge_cpu_quota_period_ms: quota?.periodMs ?? null,
    bridge_cpu_quota_burst_ms: quota?.burstMs ?? null,
    codec: args.codec,
    phone_audio_sample_rate: phoneAudioSampleRate(bridgeEnvForCodec(args.codec)),
    mode: args.overload
      ? { overload: true, max_concurrent_calls: args.max, admission_settings: admissionSettings() }
      : undefined,
    knee_calls: knee,
    knee_limited_by: kneeLimitedBy,
    steps,
  }),
);
process.exit(0);
