// npm run demo — the whole local stack on loopback (livekit-server, agent worker, bridge, the
// OpenAI Realtime simulator or the real API when OPENAI_API_KEY is set) and one simulated phone
// call with spoken audio. Prints the live transcript and per-turn latency, saves what the caller
// heard, and ends with one JSON line.
// The apps' and SDKs' logs stay out of the way: `npm run demo -- --verbose` (or DEMO_LOG_LEVEL=debug,
// info, …) prints them as they come; on a failure the last lines of each app are printed anyway.
// The bridge also serves the operator console (built first): its URL and a one-run login are
// printed; `npm run demo -- --console` keeps the stack up after the call until Ctrl-C to browse it.
// `npm run demo -- --help` prints the options.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { commandLine } from '@callbridge/testkit/cli';
import { observeTranscripts } from '@callbridge/testkit/livekit';
import { REALTIME_SAMPLE_RATE, vadSettingsFor } from '@callbridge/testkit/realtime';
import { playedOut, sentOnsetFrame, SILENCE_PEAK } from '@callbridge/testkit/twilio';
import { logLevelFrom, setRtcNodeLogLevel } from '@callbridge/testkit/process';
import { buildConsole } from './lib/build-console.js';
import { leadMs, loudSpan } from './lib/speech-span.js';
import { appLogTail, repoRoot, startStack } from './lib/stack.js';

const USAGE = `usage: npm run demo [-- --verbose --console]

The whole local stack on loopback (livekit-server, agent worker, bridge, the OpenAI Realtime
simulator, or the real API when OPENAI_API_KEY is set) and one simulated phone call with spoken
audio. Prints the live transcript and per-turn latency, saves what the caller heard
(.artifacts/demo-heard.wav), prints the operator console's URL and a one-run login, and ends with
one JSON line.

  --verbose   print the apps' and SDKs' logs as they come (or DEMO_LOG_LEVEL=debug, info, …);
              on a failure the last lines of each app are printed anyway
  --console   keep the stack up after the call, until Ctrl-C, to browse the console`;

const args = commandLine(
  'demo',
  USAGE,
  { verbose: { type: 'boolean', default: false }, console: { type: 'boolean', default: false } },
  { dropLeadingDashDash: true },
);

const CALLER_TURNS = [
  'Hi, I would like to book an appointment for next Tuesday morning.',
  // Ends on a crisp word: a soft tail ("…is Alex.") ends 80 ms apart at -35 and -45 dBFS, so where
  // the model's VAD heard it end (and the stack figure) would hang on a decibel.
  'Alex here, and ten o clock works for me.',
];

const say = (msg: string) => process.stderr.write(`${msg}\n`);
const realOpenAI = Boolean(process.env.OPENAI_API_KEY) && !process.env.OPENAI_BASE_URL;
const logLevel = logLevelFrom(process.env.DEMO_LOG_LEVEL, args.verbose ? 'debug' : 'silent');
const verbose = logLevel !== 'silent';
// The stack waits on the apps' info lines ("worker registered"), so they never log less than that.
const appLogLevel = logLevel === 'debug' || logLevel === 'trace' ? logLevel : 'info';
setRtcNodeLogLevel(verbose ? logLevel : 'warn');

/** Where speech really ends in a clip (espeak pads with silence), in ms from its start. */

say('callbridge demo: building the operator console…');
const consoleDir = await buildConsole();
const consolePassword = randomBytes(12).toString('base64url');
const keepConsole = args.console;
say(
  `callbridge demo: starting livekit-server, ${realOpenAI ? 'OpenAI Realtime' : 'the Realtime simulator'}, agent worker and bridge…`,
);
const stack = await startStack({
  openaiApiKey: realOpenAI ? process.env.OPENAI_API_KEY : undefined,
  echo: verbose ? (app, line) => say(`[${app}] ${line}`) : undefined,
  bridgeEnv: { LOG_LEVEL: appLogLevel, CONSOLE_USERS: `demo:${consolePassword}`, CONSOLE_DIR: consoleDir },
  agentEnv: { LOG_LEVEL: appLogLevel },
  script: {
    greeting: {
      say: 'Hello, thanks for calling Sunrise Clinic. This is the virtual assistant. How can I help?',
    },
    turns: {
      1: { say: 'Of course. I have ten o clock or two thirty on Tuesday. Which would you like?' },
      2: { say: 'Thank you Alex. You are booked for Tuesday at ten. Goodbye!' },
    },
  },
});
let exitCode = 0;
try {
  const consoleUrl = `${stack.bridgeUrl}/console/`;
  say(`bridge ${stack.bridgeUrl}, livekit ${stack.livekit.url}`);
  say(`operator console ${consoleUrl} (log in as demo / ${consolePassword}); placing a call…`);
  const call = await stack.placeCall();
  const callStart = call.streamStartedAtMs;
  const transcript = await observeTranscripts(stack.livekit, `call-${call.callSid}`, (line) =>
    say(`  ${line.speaker.startsWith('phone-') ? 'caller' : 'agent '}: ${line.text}`),
  );
  const greetingAt = await call.waitForAudioOnset(callStart);
  const greetingMs = Math.round(greetingAt - callStart);
  say(`greeting heard after ${greetingMs} ms`);
  await playedOut(call, 'the greeting');

  // With the simulator, the model's share of each turn is known: its VAD silence window and the
  // time from the response to its first audio. What is left is what the stack adds.
  const session = stack.realtime?.sessions.at(-1);
  const td = session?.config.audio.input.turn_detection;
  const vadSilenceMs = td?.type === 'server_vad' ? td.silence_duration_ms : undefined;
  // Speech ends where the model's VAD hears it end (bench:latency measures it the same way).
  const vadDbfs = td ? vadSettingsFor(td).thresholdDbfs : -40;
  const latencies: number[] = [];
  const stackMs: number[] = [];
  for (const [i, text] of CALLER_TURNS.entries()) {
    const speech = speechPcm({ text, sampleRate: 8000 });
    say(`caller says (turn ${i + 1}): "${text}"`);
    const onsetsBefore = call.sentOnsets.length;
    await call.sendAudio(speech);
    // The clip went out in 20 ms frames from its first sample; its sent onset is a known frame.
    const sentOnset = call.sentOnsets[onsetsBefore];
    if (sentOnset === undefined) throw new Error(`turn ${i + 1}: the caller's speech never went out`);
    const clipStart = sentOnset - sentOnsetFrame(speech) * 20;
    const endedAt = clipStart + loudSpan(speech, 8000, vadDbfs).endMs;
    const answeredAt = await call.waitForAudioOnset(endedAt);
    latencies.push(Math.round(answeredAt - endedAt));
    const response = stack.realtime?.responses.find(
      (r) => r.sessionId === session?.id && r.trigger === 'user_turn' && r.turn === i + 1,
    );
    // The model's share: its first-output delay and its reply's own leading silence.
    const modelMs =
      response?.firstAudioAt !== undefined
        ? response.firstAudioAt -
          response.createdAt +
          leadMs(response.audio, REALTIME_SAMPLE_RATE, SILENCE_PEAK)
        : undefined;
    if (vadSilenceMs !== undefined && modelMs !== undefined) {
      stackMs.push(Math.round(latencies.at(-1)! - vadSilenceMs - modelMs));
      say(
        `agent answered ${latencies.at(-1)} ms after the caller stopped speaking ` +
          `(VAD window ${vadSilenceMs} ms, model ${Math.round(modelMs)} ms, the stack ${stackMs.at(-1)} ms)`,
      );
    } else say(`agent answered ${latencies.at(-1)} ms after the caller stopped speaking`);
    await playedOut(call, `the answer to turn ${i + 1}`);
  }
  await call.hangup();
  await transcript.stop();

  const outDir = join(repoRoot, '.artifacts');
  mkdirSync(outDir, { recursive: true });
  const heardWav = join(outDir, 'demo-heard.wav');
  call.saveHeard(heardWav);
  say(`what the caller heard: ${heardWav}`);
  console.log(
    JSON.stringify({
      turns: latencies.length,
      greeting_ms: greetingMs,
      turn_latency_ms: latencies,
      ...(stackMs.length > 0 && { turn_stack_ms: stackMs }),
      heard_wav: heardWav,
      console_url: consoleUrl,
    }),
  );
  if (keepConsole) {
    say(`the stack stays up for the console at ${consoleUrl}; Ctrl-C stops it`);
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
} catch (err) {
  say(`demo failed: ${(err as Error).message}`);
  if (!verbose) say(appLogTail(stack));
  exitCode = 1;
} finally {
  await stack.stop();
  await dispose();
}
process.exit(exitCode);
