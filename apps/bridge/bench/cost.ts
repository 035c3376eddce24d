// npm run bench:cost [-- --calls 10 --seconds 10 --no-pin --codec opus|pcmu --against path/to/main.ts --against-env K=V,…]
// npm run bench:cost -- --help prints the options.
// What one call costs the bridge, measured so that it moves as little as possible with the machine's
// load: N simulated Twilio calls through the bridge (its own process) and a real livekit-server, each
// with an echo participant sending the caller's audio straight back: continuous speech both ways for
// S seconds. Over that window: the bridge's user-space instructions per thread (`perf stat`, where the
// machine has hardware counters), its CPU time per thread name (/proc schedstat), and a speed
// probe's time for a fixed piece of work on the bridge's core (_speed-probe.ts), which turns CPU time
// into "probe units" (they follow how fast the core runs only in part). All per
// call-second, net of the bridge's idle cost measured before the calls. The load generator (this
// process, the echo processes) and livekit-server are reported apart.
// Paired (--against: another version's apps/bridge/src/main.ts; --against-env: extra environment
// for it): a second bridge takes N calls of its own beside this one, on the same core over the same
// window; `task_clock_ratio` (this ÷ against; also without GC threads) compares the two under the
// same load.
// Last line: one JSON object; exit 1 when a call did not carry audio both ways (`valid: false`).
import { execFileSync } from 'node:child_process';
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { commandLine } from '@callbridge/testkit/cli';
import { skipLsbReleaseProbe } from '@callbridge/room-contract/os-probe';
import { EchoPool, startLiveKitServer } from '@callbridge/testkit/livekit';
import { machineCpu, processUsage, round } from '@callbridge/testkit/stats';
import { setRtcNodeLogLevel } from '@callbridge/testkit/process';
import { TwilioSimulator, type SimulatedCall } from '@callbridge/testkit/twilio';
import { z } from 'zod';
import { startBridgeProcess } from './_bridge-process.js';
import { bridgeEnvForCodec, phoneAudioSampleRate } from './_codec.js';
import { SpeedProbe } from './_speed-probe.js';
import { countInstructions, instructionsUnavailable } from './_perf-instructions.js';
import { cpuMsByName, threadCpu, totalMs } from './_thread-cpu.js';

const Args = z.object({
  calls: z.coerce.number().int().positive(),
  seconds: z.coerce.number().positive(),
  echoesPerProcess: z.coerce.number().int().positive(),
  noPin: z.boolean(),
  codec: z.enum(['opus', 'pcmu']),
  against: z.string().optional(),
  againstEnv: z
    .string()
    .optional()
    .transform((s) =>
      s === undefined
        ? undefined
        : Object.fromEntries(
            s.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
          ),
    ),
});
const USAGE = `usage: npm run bench:cost [-- --calls 10 --seconds 10 --echoes-per-process 10 --no-pin --codec opus|pcmu]
       npm run bench:cost -- --against path/to/main.ts [--against-env K=V,…] [...]

What one call costs the bridge: N simulated Twilio calls through the bridge (its own process) and a
real livekit-server, each with an echo participant, speech both ways for S seconds. Reported per
call-second, net of the bridge's idle cost: user-space instructions per thread (perf stat, where the
machine has hardware counters), CPU time per thread name, and speed-probe units.

  --calls N                calls on each bridge (default 10)
  --seconds S              the measured window, in seconds (default 10)
  --echoes-per-process N   echo participants per echo process (default 10)
  --no-pin                 do not pin (default: pinned, on 2+ cores with taskset, the bridge alone on
                           core 0 and everything else on the other cores)
  --codec opus|pcmu        pcmu limits livekit-server to G.711 and runs the bridge at 8 kHz (default opus)
  --against FILE           paired: a second bridge from another version's apps/bridge/src/main.ts
                           takes N calls of its own on the same core over the same window;
                           task_clock_ratio (this ÷ against) compares the two
  --against-env K=V,…      extra environment for that second bridge (without --against: a second
                           copy of this checkout's bridge)

BENCH_CPU_PROF=dir writes a V8 CPU profile of the bridge there; BENCH_BRIDGE_NODE_ARGS adds Node flags.
Progress goes to stderr; the last line is one JSON object; exits 1 when a call did not carry audio
both ways (valid: false).`;

const values = commandLine('bench:cost', USAGE, {
  calls: { type: 'string', default: '10' },
  seconds: { type: 'string', default: '10' },
  'echoes-per-process': { type: 'string', default: '10' },
  'no-pin': { type: 'boolean', default: false },
  codec: { type: 'string', default: 'opus' },
  against: { type: 'string' },
  'against-env': { type: 'string' },
});
const parsed = Args.safeParse({
  ...values,
  echoesPerProcess: values['echoes-per-process'],
  noPin: values['no-pin'],
  againstEnv: values['against-env'],
});
if (!parsed.success) {
  console.error(
    `bench:cost: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
  process.exit(2);
}
const args = parsed.data;
const paired = args.against !== undefined || args.againstEnv !== undefined;
const log = (msg: string) => process.stderr.write(`${msg}\n`);
setRtcNodeLogLevel('warn');
// The echo processes (forked from here) inherit it: the load generator's joins start no `lsb_release`.
skipLsbReleaseProbe();
const AUTH_TOKEN = 'bench-auth-token';
const BRIDGE_CORE = 0;
const IDLE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const noInstructions = instructionsUnavailable();
if (noInstructions) log(`instructions not counted: ${noInstructions}; CPU time and probe units only`);
const cores = machineCpu().cores;
let pinned = false;
if (!args.noPin && cores >= 2) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', `1-${cores - 1}`, String(process.pid)], { stdio: 'ignore' });
    pinned = true;
    log(`pinned: bridge(s) and speed probe on core ${BRIDGE_CORE}, everything else on cores 1-${cores - 1}`);
  } catch {
    log('bench:cost: taskset not available, not pinned');
  }
}

/**
 * Continuous speech at 8 kHz for `seconds`: sentences back to back, each call at its own offset
 * (committed recordings: no espeak-ng needed).
 */
const sentences = ['your appointment is on Tuesday', 'hello from the phone', 'testing one two three'].map(
  (text) => speechPcm({ text, sampleRate: 8000 }),
);
function speech(seconds: number, offset: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * 8000));
  for (let at = 0, i = offset; at < out.length; i++) {
    const s = sentences[i % sentences.length]!;
    out.set(s.subarray(0, Math.min(s.length, out.length - at)), at);
    at += s.length;
  }
  return out;
}

const lk = await startLiveKitServer({
  audioCodecs: args.codec === 'pcmu' ? ['audio/pcmu'] : undefined,
  extraConfig: 'limit:\n  num_tracks: -1\n',
});
let finished = false;
async function startBridge(label: string, entry: string | undefined, env: Record<string, string> = {}) {
  const bridge = await startBridgeProcess({
    lk,
    authToken: AUTH_TOKEN,
    entry,
    env: { MAX_CONCURRENT_CALLS: String(args.calls + 10), ...bridgeEnvForCodec(args.codec), ...env },
    cpus: pinned ? String(BRIDGE_CORE) : undefined,
    // BENCH_CPU_PROF=dir writes a V8 CPU profile of the bridge there (its main thread only; wall-time
    // samples, so a native thread preempting the main thread on the pinned core counts as the JS in
    // flight). BENCH_BRIDGE_NODE_ARGS adds Node flags (e.g. "--perf-basic-prof" for `perf record`,
    // which counts CPU time only).
    nodeArgs: [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ...(process.env.BENCH_BRIDGE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
  });
  void bridge.app.exited.then((code) => {
    if (finished) return;
    log(
      `the ${label} bridge exited (${code}) mid-benchmark; its last output:\n${bridge.app.logs().slice(-6000)}`,
    );
    process.exit(1);
  });
  return { label, ...bridge, pid: bridge.app.pid, calls: [] as SimulatedCall[] };
}
type Bridge = Awaited<ReturnType<typeof startBridge>>;
// Paired (--against, --against-env): a second bridge beside this one, on the same core over the same
// window, so both see the same machine; their ratio does not move with its load.
const bridges: Bridge[] = [await startBridge('this', undefined)];
if (paired) bridges.push(await startBridge('against', args.against, args.againstEnv));
const probe = SpeedProbe.start(pinned ? String(BRIDGE_CORE) : undefined);
const echoPool = await EchoPool.start(lk, Math.ceil((args.calls * bridges.length) / args.echoesPerProcess));
const sim = new TwilioSimulator({ authToken: AUTH_TOKEN });

/** CPU of each bridge (by thread name; instructions where perf counts them) and of the others over `run`. */
async function measure(run: () => Promise<unknown>) {
  const startedAt = Date.now();
  const t0 = performance.now();
  const before = bridges.map((b) => ({
    threads: threadCpu(b.pid),
    perf: noInstructions ? undefined : countInstructions(b.pid),
  }));
  const self0 = process.cpuUsage();
  const echo0 = echoPool.pids.reduce((s, p) => s + processUsage(p).cpuMs, 0);
  const lk0 = processUsage(lk.pid).cpuMs;
  await run();
  const wallMs = performance.now() - t0;
  const self = process.cpuUsage(self0);
  const perBridge = await Promise.all(
    bridges.map(async (b, i) => {
      const byThread = cpuMsByName(before[i]!.threads, threadCpu(b.pid), b.pid);
      return { byThread, ms: totalMs(byThread), instructions: await before[i]!.perf?.stop() };
    }),
  );
  return {
    wallMs,
    perBridge,
    generatorMs:
      (self.user + self.system) / 1000 + echoPool.pids.reduce((s, p) => s + processUsage(p).cpuMs, 0) - echo0,
    livekitMs: processUsage(lk.pid).cpuMs - lk0,
    probeUnitNs: probe.unitNs(startedAt, Date.now()),
  };
}

// The bridges with no call: what one costs just to be up (timers, GC, WebRTC runtime once built).
await sleep(1000);
const idle = await measure(() => sleep(IDLE_MS));

log(`placing ${args.calls} calls on each of ${bridges.length} bridge(s)…`);
const joins: Promise<unknown>[] = [];
for (let i = 0; i < args.calls * bridges.length; i++) {
  const bridge = bridges[i % bridges.length]!;
  const call = await sim.placeInboundCall({
    voiceUrl: `${bridge.publicUrl}/twilio/voice`,
    statusCallbackUrl: `${bridge.publicUrl}/twilio/status`,
    from: `+1555${String(1_000_000 + i).slice(-7)}`,
    to: '+15550000000',
    keepHeard: false,
  });
  bridge.calls.push(call);
  joins.push(echoPool.join(`call-${call.callSid}`));
  await sleep(40);
}
await Promise.all(joins);
/** In the order they were placed (alternating between bridges). */
const allCalls = bridges[0]!.calls.flatMap((_, k) => bridges.map((b) => b.calls[k]!));
// Every call carries audio both ways before the window opens (a short burst of speech each).
// Call k of each bridge says the same as call k of the other (calls alternate between bridges).
const offset = (i: number) => Math.floor(i / bridges.length);
await Promise.all(allCalls.map((c, i) => c.sendAudio(speech(1.5, offset(i)))));
const framesBefore = (await echoPool.collect()).echoes;
const downBefore = new Map(allCalls.map((c) => [c, c.mediaGapsMs.length]));
log(`measuring for ${args.seconds} s…`);
const busy = await measure(() =>
  Promise.all(allCalls.map((c, i) => c.sendAudio(speech(args.seconds, offset(i) + 1)))),
);
const heard = (await echoPool.collect()).echoes;

await echoPool.leaveAll();
await Promise.all(allCalls.map((c) => c.hangup().catch(() => undefined)));
finished = true;
await Promise.all(bridges.map((b) => b.app.stop('SIGINT')));
await echoPool.stop();
probe.stop();
await lk.stop();
await dispose();

const callSeconds = (args.calls * busy.wallMs) / 1000;
const perCallS = (ms: number) => round(ms / callSeconds, 3);
const sum = (byName: Record<string, number>) => Object.values(byName).reduce((a, b) => a + b, 0);
const report = bridges.map((b, i) => {
  const use = busy.perBridge[i]!;
  const idleUse = idle.perBridge[i]!;
  const idleRate = idleUse.ms / idle.wallMs; // CPU ms per wall ms
  const netMs = use.ms - idleRate * busy.wallMs;
  const idleInstrPerMs = idleUse.instructions ? sum(idleUse.instructions) / idle.wallMs : 0;
  return {
    // Calls whose echo received audio, and whose caller received the echo back, through the window.
    calls_carrying_audio: b.calls.filter((c) => {
      const room = `call-${c.callSid}`;
      return (heard.get(room)?.frames ?? 0) - (framesBefore.get(room)?.frames ?? 0) > args.seconds * 25;
    }).length,
    calls_hearing_echo: b.calls.filter((c) => c.mediaGapsMs.length - downBefore.get(c)! > args.seconds * 25)
      .length,
    bridge_instructions_per_call_s: use.instructions
      ? Math.round((sum(use.instructions) - idleInstrPerMs * busy.wallMs) / callSeconds)
      : null,
    by_thread_instructions_per_call_s: use.instructions
      ? Object.fromEntries(
          Object.entries(use.instructions)
            .sort(([, x], [, y]) => y - x)
            .map(([name, n]) => [name, Math.round(n / callSeconds)]),
        )
      : null,
    idle_instructions_per_s: idleUse.instructions ? Math.round(idleInstrPerMs * 1000) : null,
    bridge_task_clock_ms_per_call_s: perCallS(netMs),
    bridge_probe_units_per_call_s:
      busy.probeUnitNs === undefined ? null : round((netMs * 1e6) / busy.probeUnitNs / callSeconds, 2),
    by_thread_ms_per_call_s: Object.fromEntries(
      Object.entries(use.byThread)
        .filter(([, ms]) => ms >= 0.005 * use.ms)
        .sort(([, x], [, y]) => y - x)
        .map(([name, ms]) => [name, perCallS(ms)]),
    ),
    idle_task_clock_ms_per_s: round(idleRate * 1000, 3),
    bridge_cpu_pct: round((use.ms / busy.wallMs) * 100, 1),
  };
});
const withoutGc = (r: (typeof report)[0]) =>
  r.bridge_task_clock_ms_per_call_s - (r.by_thread_ms_per_call_s['node (helpers)'] ?? 0);
/** Every call carried speech both ways through the window: a call that did not would cost less. */
const valid = report.every(
  (r) => r.calls_carrying_audio === args.calls && r.calls_hearing_echo === args.calls,
);
if (!valid) log('not valid: some calls did not carry audio both ways (an overloaded machine?)');
const [self, against] = report as [(typeof report)[0], (typeof report)[0] | undefined];
console.log(
  JSON.stringify({
    calls: args.calls,
    seconds: round(busy.wallMs / 1000, 2),
    pinned,
    codec: args.codec,
    phone_audio_sample_rate: phoneAudioSampleRate(bridgeEnvForCodec(args.codec)),
    valid,
    instructions_unavailable: noInstructions,
    ...self,
    probe_unit_us: busy.probeUnitNs === undefined ? null : round(busy.probeUnitNs / 1000, 1),
    load_generator_task_clock_ms_per_call_s: round(busy.generatorMs / callSeconds / bridges.length, 3),
    livekit_task_clock_ms_per_call_s: round(busy.livekitMs / callSeconds / bridges.length, 3),
    ...(against && {
      against: { entry: args.against ?? 'this', env: args.againstEnv ?? {}, ...against },
      // This bridge's cost over the other's, same window, same core: < 1 means this one is cheaper.
      task_clock_ratio: round(
        self.bridge_task_clock_ms_per_call_s / against.bridge_task_clock_ms_per_call_s,
        3,
      ),
      // The same without Node's helper threads: GC runs when it runs, and two identical bridges
      // differed by up to 30 % there while every other thread agreed within 2 %.
      task_clock_ratio_without_gc: round(withoutGc(self) / withoutGc(against), 3),
    }),
  }),
);
process.exit(valid ? 0 : 1);
