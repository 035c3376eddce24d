// npm run bench:calls [-- --steps 10,50,100,200 --seconds 20 --echoes-per-process 10 --resolution 5 --no-pin]
// npm run bench:calls -- --overload [--max 25 --steps 25,50 --ramp-per-second 4]
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
// (dropped, gaps over 40 ms) of the admitted ones.
// Pinned (the default on a machine with 2+ cores and taskset): the bridge runs alone on core 0 and
// everything else (livekit-server, the simulated phones in this process, the echo processes) on the
// other cores, so the knee is what one bridge core carries. The load generator's event-loop lag is
// measured in every step; a step where it ran late measures the generator, not the bridge, and is
// discarded (valid: false) and ends the ramp.
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dispose } from '@livekit/rtc-node';
import { EchoPool, measureLoopbackLatency, startLiveKitServer } from '@callbridge/testkit/livekit';
import { machineCpu, percentile, processUsage, round } from '@callbridge/testkit/stats';
import { setRtcNodeLogLevel } from '@callbridge/testkit/process';
import { TwilioSimulator, type SimulatedCall } from '@callbridge/testkit/twilio';
import { z } from 'zod';
import { startBridgeProcess } from './_bridge-process.js';
import { admissionRefusals, refusalsSince, refusedBusy } from './_overload.js';

const Args = z.object({
  steps: z
    .string()
    .transform((s) => s.split(',').map(Number))
    .pipe(z.array(z.number().int().positive()).min(1)),
  seconds: z.coerce.number().positive(),
  rampPerSecond: z.coerce.number().positive(),
  echoesPerProcess: z.coerce.number().int().positive(),
  resolution: z.coerce.number().int().positive(),
  fixed: z.boolean(),
  noPin: z.boolean(),
  overload: z.boolean(),
  max: z.coerce.number().int().positive(),
});
const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '10,50,100,200' },
    seconds: { type: 'string', default: '20' },
    'ramp-per-second': { type: 'string' },
    'echoes-per-process': { type: 'string', default: '10' },
    resolution: { type: 'string', default: '5' },
    fixed: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    overload: { type: 'boolean', default: false },
    max: { type: 'string', default: '25' },
  },
});
const parsedArgs = Args.safeParse({
  ...values,
  rampPerSecond: values['ramp-per-second'] ?? (values.overload ? '4' : '25'),
  echoesPerProcess: values['echoes-per-process'],
  noPin: values['no-pin'],
});
if (!parsedArgs.success) {
  console.error(
    `bench:calls: ${parsedArgs.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
  process.exit(2);
}
const args = parsedArgs.data;
const log = (msg: string) => process.stderr.write(`${msg}\n`);
setRtcNodeLogLevel('warn'); // rtc-node logs every room's connect at debug, straight to stdout
let finished = false;
const AUTH_TOKEN = 'bench-auth-token';
const MARKER_EVERY_MS = 1000;
/** The knee's bar: no dropped call and a p99 gap between media messages at the caller within this. */
const GAP_BAR_MS = 40;
/** A load generator whose event loop ran later than this (p99) could have made the gaps itself. */
const LOADGEN_LAG_BAR_MS = 20;
/** The bridge's core when pinned; the load generator and livekit-server get all the others. */
const BRIDGE_CORE = 0;

function tasksetAvailable(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const cores = machineCpu().cores;
const pinned = !args.noPin && cores >= 2 && tasksetAvailable();
if (!args.noPin && !pinned)
  log(`bench:calls: not pinned (${cores} core(s), taskset ${tasksetAvailable() ? 'found' : 'missing'})`);
if (pinned) {
  // This process's threads first: livekit-server and the echo processes started below inherit it.
  execFileSync('taskset', ['-a', '-p', '-c', `1-${cores - 1}`, String(process.pid)], { stdio: 'ignore' });
  log(`pinned: bridge on core ${BRIDGE_CORE}, livekit-server and the load generator on cores 1-${cores - 1}`);
}

/** The caller's audio: a 20 ms 1 kHz burst at -6 dBFS every second, silence between. */
function markerPattern(seconds: number, offsetMs: number): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * 8000));
  for (let t = offsetMs; t + 20 < seconds * 1000; t += MARKER_EVERY_MS) {
    const start = Math.round((t / 1000) * 8000);
    for (let i = 0; i < 160; i++)
      pcm[start + i] = Math.round(16_000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  }
  return pcm;
}

/** For each event, how long after the latest earlier reference (within one marker period) it came. */
function pairDelays(references: readonly number[], events: readonly number[]): number[] {
  const out: number[] = [];
  for (const e of events) {
    let best: number | undefined;
    for (const r of references) if (r <= e && e - r < MARKER_EVERY_MS * 0.8) best = r;
    if (best !== undefined) out.push(e - best);
  }
  return out;
}

const lk = await startLiveKitServer({ extraConfig: 'limit:\n  num_tracks: -1\n' });
log(`livekit-server ${lk.url}; measuring the loopback baseline…`);
const baseline = await measureLoopbackLatency(lk, { frames: 500 });
log(`baseline one-way p50 ${baseline.p50_ms} ms`);

// BENCH_CPU_PROF=dir writes a V8 CPU profile of the bridge there (open it in Chrome DevTools).
const bridgeProcess = await startBridgeProcess({
  lk,
  authToken: AUTH_TOKEN,
  env: args.overload
    ? { MAX_CONCURRENT_CALLS: String(args.max), ADMISSION_ADAPTIVE: 'true' }
    : { MAX_CONCURRENT_CALLS: String(Math.max(...args.steps) + 10), ADMISSION_ADAPTIVE: 'false' },
  nodeArgs: process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
  cpus: pinned ? String(BRIDGE_CORE) : undefined,
});
const bridgeApp = bridgeProcess.app;
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
function otherCpuMs() {
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
/** Our performance.now() on the epoch clock the echo processes stamp their onsets with. */
const epoch = (t: number) => performance.timeOrigin + t;
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
    await new Promise((r) => setTimeout(r, 1000 / args.rampPerSecond));
  }
  const echoJoined = await Promise.all(echoJoins);
  const refused = refusalsSince(refusalsBefore, await admissionRefusals(publicUrl));
  const healthAfterRamp = await health();
  // Let every call settle, then measure a window in which all of them talk.
  await new Promise((r) => setTimeout(r, 1500));
  await echoPool.collect(); // starts the echo processes' lag window here
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpuStart = processUsage(bridgeApp.pid);
  const othersStart = otherCpuMs();
  const t0 = performance.now();
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
  await new Promise((r) => setTimeout(r, 600));
  const wallMs = performance.now() - t0;
  const cpuEnd = processUsage(bridgeApp.pid);
  const othersEnd = otherCpuMs();
  lag.disable();
  const { echoes: heardByRoom, lagP99Ms: echoLagMs } = await echoPool.collect();
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
  const up: number[] = [];
  const down: number[] = [];
  const gaps: number[] = [];
  let dropped = 0;
  let connected = 0;
  let underruns = 0;
  const dropReasons: Record<string, number> = {};
  for (const [i, call] of calls.entries()) {
    if (busy.has(call)) continue;
    const echo = echoJoined[i] ? heardByRoom.get(`call-${call.callSid}`) : undefined;
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
    up.push(...pairDelays(call.sentOnsets.map(epoch), echo.onsets));
    down.push(...pairDelays(echo.onsets, call.audioOnsets.map(epoch)));
    gaps.push(...call.mediaGapsMs);
    underruns += call.underrunFrames;
  }
  const step = {
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
    up_vs_baseline: round(percentile(up, 50) / baseline.p50_ms),
    down_vs_baseline: round(percentile(down, 50) / baseline.p50_ms),
    gaps_over_40ms: gaps.filter((g) => g > 40).length,
    underrun_frames: underruns,
    gap_p99_ms: round(percentile(gaps, 99)),
    markers: up.length,
    cpu_pct_per_call: round((((cpuEnd.cpuMs - cpuStart.cpuMs) / wallMs) * 100) / n, 3),
    rss_mb_per_call: round((cpuEnd.rssMb - rssBefore) / n, 3),
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
  // Ramp until a step misses the bar, then bisect between the last step that met it and the first
  // that did not: bigger steps past the knee would only measure a drowning machine.
  let lastPass = 0;
  let firstFail: number | undefined;
  for (const n of args.steps) {
    const step = await runStep(n);
    steps.push(step);
    if (!step.valid) break; // the load generator ran late: larger steps would measure it even more
    if (!step.meets_bar) {
      firstFail = n;
      break;
    }
    lastPass = n;
  }
  while (firstFail !== undefined && firstFail - lastPass > args.resolution) {
    const n = Math.round((lastPass + firstFail) / 2);
    const step = await runStep(n);
    steps.push(step);
    if (!step.valid) break;
    if (step.meets_bar) lastPass = n;
    else firstFail = n;
  }
}

finished = true;
const knee = steps.filter((s) => s.meets_bar).reduce((m, s) => Math.max(m, s.calls), 0);
/** What ended the search: the bridge missed the bar, the load generator ran late, or the steps ran out. */
const kneeLimitedBy = steps.some((s) => !s.valid)
  ? 'load_generator'
  : steps.some((s) => !s.meets_bar)
    ? 'bridge'
    : 'steps';
await bridgeApp.stop('SIGINT');
await echoPool.stop();
await lk.stop();
await dispose();
console.log(
  JSON.stringify({
    baseline_p50_ms: baseline.p50_ms,
    pinned,
    mode: args.overload ? { overload: true, max_concurrent_calls: args.max } : undefined,
    knee_calls: knee,
    knee_limited_by: kneeLimitedBy,
    steps,
  }),
);
process.exit(0);
