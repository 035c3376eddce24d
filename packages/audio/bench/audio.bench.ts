/**
 * The telephony audio path, per 20 ms frame, for the product's resampler (polyphase), the engines
 * it was chosen over (./engines.ts), and the obvious once-per-frame use of wave-resampler.
 * Prints a readable table, then one JSON line (last).
 *
 *   uplink   = uplink.processMuLaw(160 μ-law bytes)  -> 960 samples at 48 kHz (decode + upsample)
 *   downlink = downlink.push(960 samples at 48 kHz)  -> one 160-byte μ-law frame (downsample + encode + frame)
 *
 * The input is espeak-ng speech, not a tone: data-dependent branches (rounding, clamping) cost
 * differently on real audio. All subjects are timed round-robin, several rounds each, in CPU
 * time, and each reports its median round, so load from other processes on a shared machine
 * lands on all of them alike and the ratios between them stay fair.
 * `npm run bench:audio -- --help` prints the usage.
 */
import { cpus } from 'node:os';
import waveResampler from 'wave-resampler';
import { speechPcm } from '../../testkit/src/audio-fixtures/index.js';
import { commandLine } from '../../testkit/src/cli/command-line.js';
import {
  createDownlink,
  createUplink,
  MULAW_FRAME_BYTES,
  muLawDecode,
  muLawEncode,
  muLawToBase64,
} from '../src/index.js';
import {
  alignedSnrDb,
  chunks,
  concat,
  roundTripSnrDb,
  sine,
  toInt16,
} from '../test/support/signal-quality.js';
import { ENGINE_NAMES, ENGINES, PRODUCT_ENGINE, type EngineName } from './engines.js';

const USAGE = `usage: npm run bench:audio

The telephony audio path per 20 ms frame (uplink: 160 μ-law bytes to 960 samples at 48 kHz;
downlink: 960 samples at 48 kHz to one μ-law frame) on espeak-ng speech, for the product's resampler,
the engines it was chosen over, and the naive once-per-frame use of wave-resampler, timed round-robin
in CPU time (median of 11 rounds each, about 5 s in all). Prints a table, then one JSON line (last).
Takes no options.`;

commandLine('bench:audio', USAGE, {}, { dropLeadingDashDash: true });

const FRAME_US = 20_000;
const TARGET_US_PER_FRAME = 25;
const REQUIRED_SPEEDUP_OVER_NAIVE = 20;
const ROUNDS = 11;
const ROUND_MS = 25;
const WARM_UP_MS = 150;
const SNR_TONES_HZ = [440, 1000];

const TEXT = 'Thanks for calling. How can I help you today? Please say your account number after the tone.';
const uplinkFrames = chunks(
  muLawEncode(speechPcm({ text: TEXT, sampleRate: 8000 })),
  MULAW_FRAME_BYTES,
).filter((f) => f.length === MULAW_FRAME_BYTES);
const downlinkFrames = chunks(speechPcm({ text: TEXT, sampleRate: 48000 }), 960).filter(
  (f) => f.length === 960,
);

/** Keeps results observable so the JIT cannot drop the work being timed. */
let sink = 0;

interface Subject {
  name: string;
  /** Processes frame number `i` (cycling through the speech). */
  step: (i: number) => void;
  calls: number;
  perRound: number;
  rounds: number[];
}

function subject(name: string, step: (i: number) => void): Subject {
  return { name, step, calls: 0, perRound: 0, rounds: [] };
}

/**
 * Median CPU µs per call for every subject, timed in interleaved rounds of about ROUND_MS each.
 * CPU time (`process.cpuUsage`), not wall time: on a shared machine a round may be descheduled
 * for milliseconds, which says nothing about what a frame costs; what a frame costs in CPU is
 * what limits how many calls one bridge carries.
 */
function timeRoundRobin(subjects: Subject[]): Map<string, number> {
  for (const s of subjects) {
    const warmUntil = performance.now() + WARM_UP_MS;
    while (performance.now() < warmUntil) s.step(s.calls++);
    s.perRound = Math.max(10, Math.round((s.calls / WARM_UP_MS) * ROUND_MS));
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of subjects) {
      const start = process.cpuUsage();
      for (let i = 0; i < s.perRound; i++) s.step(s.calls++);
      const used = process.cpuUsage(start);
      s.rounds.push((used.user + used.system) / s.perRound);
    }
  }
  return new Map(
    subjects.map((s) => {
      const sorted = [...s.rounds].sort((a, b) => a - b);
      return [s.name, sorted[Math.floor(sorted.length / 2)]!];
    }),
  );
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

interface UplinkUnderTest {
  convert: (frame: Uint8Array) => Int16Array;
  flush: () => Int16Array;
  close: () => void;
}

/**
 * Uplink alone: 20 ms μ-law frames of a -12 dBFS tone, upsampled, against the ideal 48 kHz tone
 * (worst of SNR_TONES_HZ, a fresh uplink for each). G.711 sets the ceiling here too.
 */
function uplinkSnrDb(open: () => UplinkUnderTest): number {
  return Math.min(
    ...SNR_TONES_HZ.map((frequency) => {
      const uplink = open();
      try {
        const frames = chunks(muLawEncode(toInt16(sine(frequency, 8000, 8000))), MULAW_FRAME_BYTES);
        const received = concat([...frames.map((frame) => uplink.convert(frame).slice()), uplink.flush()]);
        return alignedSnrDb(sine(frequency, 48000, 48000), received, 600, 2400).snrDb;
      } finally {
        uplink.close();
      }
    }),
  );
}

function engineSnr(engine: EngineName) {
  const roundTrip = Math.min(
    ...SNR_TONES_HZ.map((frequency) => roundTripSnrDb({ resampler: ENGINES[engine], frequency }).snrDb),
  );
  const up = uplinkSnrDb(() => {
    const uplink = createUplink({ resampler: ENGINES[engine] });
    return {
      convert: (frame) => uplink.processMuLaw(frame),
      flush: () => uplink.flush(),
      close: () => uplink.close(),
    };
  });
  return { roundTrip, up };
}

function naiveSnr() {
  const roundTrip = Math.min(
    ...SNR_TONES_HZ.map((frequency) => {
      const reference = sine(frequency, 8000, 8000);
      const frames = chunks(muLawEncode(toInt16(reference)), MULAW_FRAME_BYTES);
      const received = muLawDecode(concat(frames.map((frame) => naiveDown(naiveUp(frame)))));
      return alignedSnrDb(reference, received, 400, 400).snrDb;
    }),
  );
  const up = uplinkSnrDb(() => ({ convert: naiveUp, flush: () => new Int16Array(0), close: () => {} }));
  return { roundTrip, up };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

const NAIVE = 'naive per-frame wave-resampler';
const uplinks = ENGINE_NAMES.map((engine) => createUplink({ resampler: ENGINES[engine] }));
const downlinks = ENGINE_NAMES.map((engine) =>
  createDownlink({ inputRate: 48000, resampler: ENGINES[engine] }),
);
const defaultIndex = ENGINE_NAMES.indexOf(PRODUCT_ENGINE);
const uplinkPayloads = uplinkFrames.map(muLawToBase64);
const subjects = [
  ...ENGINE_NAMES.flatMap((engine, k) => [
    subject(`${engine} up`, (i) => {
      sink += uplinks[k]!.processMuLaw(uplinkFrames[i % uplinkFrames.length]!).length;
    }),
    subject(`${engine} down`, (i) => {
      sink += downlinks[k]!.push(downlinkFrames[i % downlinkFrames.length]!, 48000).length;
    }),
  ]),
  subject('default up from base64', (i) => {
    sink += uplinks[defaultIndex]!.processBase64(uplinkPayloads[i % uplinkPayloads.length]!).length;
  }),
  subject(`${NAIVE} up`, (i) => {
    sink += naiveUp(uplinkFrames[i % uplinkFrames.length]!).length;
  }),
  subject(`${NAIVE} down`, (i) => {
    sink += naiveDown(downlinkFrames[i % downlinkFrames.length]!).length;
  }),
];
const timings = timeRoundRobin(subjects);
for (const chain of [...uplinks, ...downlinks]) chain.close();

function report(name: string, snr: { roundTrip: number; up: number }) {
  return {
    up_us_per_frame: round(timings.get(`${name} up`)!),
    down_us_per_frame: round(timings.get(`${name} down`)!),
    roundtrip_snr_db: round(snr.roundTrip),
    up_snr_db: round(snr.up),
  };
}

const engines = Object.fromEntries(
  ENGINE_NAMES.map((engine) => [engine, report(engine, engineSnr(engine))]),
) as Record<EngineName, ReturnType<typeof report>>;
const naive = report(NAIVE, naiveSnr());
const chosen = engines[PRODUCT_ENGINE];
const speedup = {
  up: round(naive.up_us_per_frame / chosen.up_us_per_frame),
  down: round(naive.down_us_per_frame / chosen.down_us_per_frame),
};

console.log(
  [
    'engine',
    'up µs/frame',
    'down µs/frame',
    'round-trip SNR dB',
    'uplink SNR dB',
    'x real time up/down',
  ].join(' | '),
);
for (const [name, r] of [...Object.entries(engines), [NAIVE, naive] as const]) {
  const realTime = `${Math.round(FRAME_US / r.up_us_per_frame)}/${Math.round(FRAME_US / r.down_us_per_frame)}`;
  console.log(
    [name, r.up_us_per_frame, r.down_us_per_frame, r.roundtrip_snr_db, r.up_snr_db, realTime].join(' | '),
  );
}
console.log(`timed ${subjects.reduce((n, s) => n + s.calls, 0)} frames (${sink} outputs)`);

const result = {
  default_engine: PRODUCT_ENGINE,
  engines,
  naive_wave_resampler: naive,
  default_speedup_vs_naive: speedup,
  /** The bridge's real entry point: the same uplink fed the Twilio base64 payload. */
  default_up_from_base64_us_per_frame: round(timings.get('default up from base64')!),
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
