/**
 * The telephony audio path, per 20 ms frame, for every resampler engine and for the obvious
 * once-per-frame use of wave-resampler. Prints a readable table, then one JSON line (last).
 *
 *   uplink   = uplink.processMuLaw(160 μ-law bytes)  -> 960 samples at 48 kHz (decode + upsample)
 *   downlink = downlink.push(960 samples at 48 kHz)  -> one 160-byte μ-law frame (downsample + encode + frame)
 *
 * Timings are the median over several rounds, so another process on the machine briefly taking
 * the CPU moves a round, not the result.
 */
import { cpus } from 'node:os';
import waveResampler from 'wave-resampler';
import { speechPcm } from '../../testkit/src/audio-fixtures/index.js';
import {
  createDownlink,
  createUplink,
  DEFAULT_RESAMPLER_ENGINE,
  MULAW_FRAME_BYTES,
  muLawDecode,
  muLawEncode,
  RESAMPLER_ENGINES,
  type ResamplerEngine,
} from '../src/index.js';
import {
  alignedSnrDb,
  chunks,
  concat,
  roundTripSnrDb,
  sine,
  toInt16,
} from '../test/support/signal-quality.js';

const FRAME_US = 20_000;
const TARGET_US_PER_FRAME = 25;
const REQUIRED_SPEEDUP_OVER_NAIVE = 20;
const ROUNDS = 9;
const ROUND_MS = 60;
const SNR_TONES_HZ = [440, 1000];

const TEXT = 'Thanks for calling. How can I help you today? Please say your account number after the tone.';
const uplinkFrames = chunks(
  muLawEncode(speechPcm({ text: TEXT, sampleRate: 8000 })),
  MULAW_FRAME_BYTES,
).filter((f) => f.length === MULAW_FRAME_BYTES);
const downlinkFrames = chunks(speechPcm({ text: TEXT, sampleRate: 48000 }), 960).filter(
  (f) => f.length === 960,
);

/** Median µs per call of `step(i)`, over rounds sized to take about ROUND_MS each. */
function microsecondsPerFrame(step: (i: number) => void): number {
  let calls = 0;
  const warmUntil = performance.now() + 150;
  while (performance.now() < warmUntil) step(calls++);
  const perRound = Math.max(20, Math.round((calls / 150) * ROUND_MS));
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) step(calls++);
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / perRound);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)]!;
}

/** Keeps results observable so the JIT cannot drop the work being timed. */
let sink = 0;

function measureEngine(engine: ResamplerEngine) {
  const uplink = createUplink({ engine });
  const downlink = createDownlink({ inputRate: 48000, engine });
  try {
    const up = microsecondsPerFrame((i) => {
      sink += uplink.processMuLaw(uplinkFrames[i % uplinkFrames.length]!).length;
    });
    const down = microsecondsPerFrame((i) => {
      sink += downlink.push(downlinkFrames[i % downlinkFrames.length]!, 48000).length;
    });
    const snr = Math.min(...SNR_TONES_HZ.map((frequency) => roundTripSnrDb({ engine, frequency }).snrDb));
    return { up_us_per_frame: round(up), down_us_per_frame: round(down), roundtrip_snr_db: round(snr) };
  } finally {
    uplink.close();
    downlink.close();
  }
}

function toPcm16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++)
    out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]!)));
  return out;
}

/** The obvious use: decode a frame, `resample()` it on its own, and the same on the way back. */
const naiveUp = (frame: Uint8Array) => toPcm16(waveResampler.resample(muLawDecode(frame), 8000, 48000));
const naiveDown = (pcm: Int16Array) => muLawEncode(toPcm16(waveResampler.resample(pcm, 48000, 8000)));

function measureNaive() {
  const up = microsecondsPerFrame((i) => {
    sink += naiveUp(uplinkFrames[i % uplinkFrames.length]!).length;
  });
  const down = microsecondsPerFrame((i) => {
    sink += naiveDown(downlinkFrames[i % downlinkFrames.length]!).length;
  });
  const snr = Math.min(
    ...SNR_TONES_HZ.map((frequency) => {
      const reference = sine(frequency, 8000, 8000);
      const frames = chunks(muLawEncode(toInt16(reference)), MULAW_FRAME_BYTES);
      const received = muLawDecode(concat(frames.map((frame) => naiveDown(naiveUp(frame)))));
      return alignedSnrDb(reference, received, 400, 400).snrDb;
    }),
  );
  return { up_us_per_frame: round(up), down_us_per_frame: round(down), roundtrip_snr_db: round(snr) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

const engines = Object.fromEntries(
  RESAMPLER_ENGINES.map((engine) => [engine, measureEngine(engine)]),
) as Record<ResamplerEngine, ReturnType<typeof measureEngine>>;
const naive = measureNaive();
const chosen = engines[DEFAULT_RESAMPLER_ENGINE];
const speedup = {
  up: round(naive.up_us_per_frame / chosen.up_us_per_frame),
  down: round(naive.down_us_per_frame / chosen.down_us_per_frame),
};

console.log('engine          uplink µs/frame  downlink µs/frame  round-trip SNR dB  x real time (up/down)');
for (const [name, r] of [...Object.entries(engines), ['naive per-frame wave-resampler', naive] as const]) {
  console.log(
    `${name.padEnd(16)}${String(r.up_us_per_frame).padStart(15)}  ${String(r.down_us_per_frame).padStart(17)}  ${String(r.roundtrip_snr_db).padStart(17)}  ${Math.round(FRAME_US / r.up_us_per_frame)}/${Math.round(FRAME_US / r.down_us_per_frame)}`,
  );
}

const result = {
  default_engine: DEFAULT_RESAMPLER_ENGINE,
  engines,
  naive_wave_resampler: naive,
  default_speedup_vs_naive: speedup,
  checks: {
    up_within_target: chosen.up_us_per_frame <= TARGET_US_PER_FRAME,
    down_within_target: chosen.down_us_per_frame <= TARGET_US_PER_FRAME,
    beats_naive_20x: Math.min(speedup.up, speedup.down) >= REQUIRED_SPEEDUP_OVER_NAIVE,
    roundtrip_snr_at_least_37_db: chosen.roundtrip_snr_db >= 37,
  },
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
};
console.log(JSON.stringify(result));
// rtc-node's FFI keeps handles that would hold the process open after the soxr engine ran.
process.exit(0);
