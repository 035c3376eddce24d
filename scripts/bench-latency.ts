// npm run bench:latency [-- --calls N --stream-gap-ms MS --answer-wait-s S --join-at-stream --verbose]
// npm run bench:latency -- --help prints the options.
// How long the caller waits, through the real stack (livekit-server, bridge, agent worker with the
// real OpenAI plugin, the Realtime simulator, the Twilio simulator): N sequential calls, the first
// placed right after the worker registers (cold), each with a greeting and two caller turns.
// Everything runs on this machine, so the bench's performance clock, the simulators' Date.now() and
// the apps' log times are one clock (wall = performance.timeOrigin + performance.now()).
// Prints a per-stage breakdown of the greeting, then, last, one JSON line.
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { commandLine } from '@callbridge/testkit/cli';
import { measureLoopbackLatency } from '@callbridge/testkit/livekit';
import { logLevelFrom, setRtcNodeLogLevel } from '@callbridge/testkit/process';
import { REALTIME_SAMPLE_RATE, vadSettingsFor, type SimSessionInfo } from '@callbridge/testkit/realtime';
import { percentile, round } from '@callbridge/testkit/stats';
import { isProgressMark, sentOnsetFrame, SILENCE_PEAK, type SimulatedCall } from '@callbridge/testkit/twilio';
import { waitFor } from '@callbridge/testkit/wait';
import { leadMs, loudSpan } from './lib/speech-span.js';
import { appLogTail, startStack, type Stack } from './lib/stack.js';

const USAGE = `usage: npm run bench:latency [-- --calls 20 --stream-gap-ms 0 --answer-wait-s S --join-at-stream --verbose]

How long the caller waits, through the real stack (livekit-server, bridge, agent worker with the real
OpenAI plugin, the Realtime simulator, the Twilio simulator): N sequential calls, the first placed
right after the worker registers (cold), each with a greeting and two caller turns.

  --calls N            calls to place, at least 2 (default 20)
  --stream-gap-ms MS   time between the TwiML answer and the Media Stream connecting (default 0)
  --answer-wait-s S    the bridge's ANSWER_WAIT_FOR_AGENT_S, how long a call rings while the agent
                       comes up; 0 answers at once (default: the bridge's own default)
  --join-at-stream     the phone joins the room at the stream's start (PHONE_JOIN_WHILE_RINGING=false)
                       instead of while the call rings
  --verbose            print the apps' and SDKs' logs as they come (or BENCH_LOG_LEVEL=debug, info, …)

Prints a per-stage breakdown of the greeting to stderr, then, last, one JSON line. A call that fails
is counted (failed_calls) and the run goes on; exits 1 when the run itself fails.`;

const values = commandLine('bench:latency', USAGE, {
  calls: { type: 'string', default: '20' },
  'stream-gap-ms': { type: 'string', default: '0' },
  // The bridge's ANSWER_WAIT_FOR_AGENT_S (how long an inbound call rings while the agent comes
  // up); unset: the bridge's default. 0 answers at once, as before the setting existed.
  'answer-wait-s': { type: 'string' },
  // The phone joins the room at the stream's start (PHONE_JOIN_WHILE_RINGING=false), as before
  // it joined while the call rang: to compare the two in one sitting.
  'join-at-stream': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
});
const calls = Number(values.calls);
const streamGapMs = Number(values['stream-gap-ms']);
if (!Number.isInteger(calls) || calls < 2) {
  console.error(`--calls must be an integer >= 2 (got ${values.calls})`);
  process.exit(2);
}
if (!Number.isFinite(streamGapMs) || streamGapMs < 0) {
  console.error(`--stream-gap-ms must be >= 0 (got ${values['stream-gap-ms']})`);
  process.exit(2);
}
const answerWaitS = values['answer-wait-s'];
if (answerWaitS !== undefined && !(Number(answerWaitS) >= 0)) {
  console.error(`--answer-wait-s must be >= 0 (got ${answerWaitS})`);
  process.exit(2);
}
const say = (msg: string) => process.stderr.write(`${msg}\n`);
const logLevel = logLevelFrom(process.env.BENCH_LOG_LEVEL, values.verbose ? 'debug' : 'silent');
setRtcNodeLogLevel(logLevel === 'silent' ? 'warn' : logLevel);

/** Short turns: the bench measures waiting, not talking. */
const GREETING = 'Hello, Sunrise Clinic. How can I help?';
const CALLER_TURNS = ['I would like an appointment on Tuesday.', 'Ten o clock works for me.'];
const REPLIES = ['Sure, ten or two thirty?', 'Booked. Goodbye!'];

/** performance.now() → the epoch clock the simulators and the apps' logs use. */
const wall = (perfMs: number) => performance.timeOrigin + perfMs;

interface CallResult {
  greetingMs: number;
  /** Webhook sent → its TwiML answer: how long the caller rang. */
  answerWaitMs: number;
  /** Webhook sent → first agent audio at the caller: ringing plus the greeting wait. */
  callerWaitMs: number;
  stagesMs: Record<string, number>;
  turnsMs: number[];
  turnStackMs: number[];
  modelFirstOutputMs: number[];
  uplinkMs: number[];
  downlinkMs: number[];
}

const GREETING_STAGES = [
  'webhook',
  'dispatched',
  'answered',
  'stream_start',
  'job_connected',
  'caller_joined',
  'greeting_requested',
  'model_response_created',
  'model_first_audio',
  'agent_first_spoke',
  'first_audio_at_bridge',
  'first_audio_at_caller',
] as const;

/** The time (epoch ms) of the first log line of `app` matching, or NaN. */
function logTime(entries: Record<string, unknown>[], match: (e: Record<string, unknown>) => boolean): number {
  const found = entries.find(match);
  return typeof found?.time === 'number' ? found.time : Number.NaN;
}

async function oneCall(stack: Stack, index: number): Promise<CallResult> {
  const realtime = stack.realtime!;
  const sessionsBefore = realtime.sessions.length;
  const call: SimulatedCall = await stack.placeCall({ streamGapMs });
  if (!call.streamSid) throw new Error(`call ${index}: no media stream (${call.twimlError ?? 'refused'})`);
  const streamStart = call.streamStartedAtMs;
  const greetingAt = await call.waitForAudioOnset(streamStart, 30_000);
  const greetingMs = greetingAt - streamStart;
  await answerOver(call, 'the greeting');
  const session: SimSessionInfo = await waitFor('the call’s model session', () =>
    realtime.sessions.slice(sessionsBefore).find(() => true),
  );
  const responsesOf = () => realtime.responses.filter((r) => r.sessionId === session.id);
  const greetingResponse = responsesOf()[0];

  const result: CallResult = {
    greetingMs,
    answerWaitMs: call.webhookAnsweredAtMs - call.webhookSentAtMs,
    callerWaitMs: greetingAt - call.webhookSentAtMs,
    stagesMs: {},
    turnsMs: [],
    turnStackMs: [],
    modelFirstOutputMs: [],
    uplinkMs: [],
    downlinkMs: [],
  };
  if (greetingResponse?.firstAudioAt !== undefined) {
    result.modelFirstOutputMs.push(greetingResponse.firstAudioAt - greetingResponse.createdAt);
  }
  // The model's VAD waits this long after speech before it ends the turn (server_vad here); speech
  // starts and ends where that VAD hears it (its threshold), not where a sample first crosses one.
  const td = session.config.audio.input.turn_detection;
  const silenceMs = td?.type === 'server_vad' ? (td.silence_duration_ms ?? Number.NaN) : Number.NaN;
  const vadDbfs = td ? vadSettingsFor(td).thresholdDbfs : -40;

  for (const [t, text] of CALLER_TURNS.entries()) {
    const speech = speechPcm({ text, sampleRate: 8000 });
    const span = loudSpan(speech, 8000, vadDbfs);
    const onsetsBefore = call.sentOnsets.length;
    const inputOnsetsBefore = session.inputOnsets.length;
    const sending = call.sendAudio(speech);
    const sentOnset = await waitFor('the caller’s speech to go out', () => call.sentOnsets[onsetsBefore]);
    await sending;
    // The clip went out in 20 ms frames from its first sample; its sent onset is a known frame.
    const clipStart = sentOnset - sentOnsetFrame(speech) * 20;
    const endedAt = clipStart + span.endMs;
    const answeredAt = await call.waitForAudioOnset(endedAt, 30_000);
    const turnMs = answeredAt - endedAt;
    result.turnsMs.push(turnMs);
    const reachedModel = session.inputOnsets.slice(inputOnsetsBefore).find((at) => at >= wall(clipStart));
    if (reachedModel !== undefined) result.uplinkMs.push(reachedModel - wall(clipStart + span.startMs));
    const response = await waitFor(`the model's answer to turn ${t + 1}`, () =>
      responsesOf().find(
        (r) => r.trigger === 'user_turn' && r.firstAudioAt !== undefined && r.turn === t + 1,
      ),
    );
    const modelMs = response.firstAudioAt! - response.createdAt;
    result.modelFirstOutputMs.push(modelMs);
    // The reply's own leading silence plays before its first sound: the model's time, not the stack's.
    const lead = leadMs(response.audio, REALTIME_SAMPLE_RATE, SILENCE_PEAK);
    result.turnStackMs.push(turnMs - silenceMs - modelMs - lead);
    result.downlinkMs.push(wall(answeredAt) - response.firstAudioAt! - lead);
    await answerOver(call, `the answer to turn ${t + 1}`);
  }
  await call.hangup();

  // The greeting's stages, from the apps' own log lines (epoch ms) and the simulators.
  const bridgeLog = stack.bridge.entries();
  const agentLog = stack.workers.flatMap((w) => w.entries());
  const ofCall = (msg: string) => (e: Record<string, unknown>) => e.msg === msg && e.callSid === call.callSid;
  const stageAt: Record<(typeof GREETING_STAGES)[number], number> = {
    webhook: wall(call.webhookSentAtMs),
    dispatched: logTime(bridgeLog, ofCall('call answered')),
    answered: wall(call.webhookAnsweredAtMs),
    stream_start: wall(streamStart),
    job_connected: logTime(agentLog, ofCall('job connected')),
    caller_joined: logTime(agentLog, ofCall('caller joined')),
    greeting_requested: logTime(agentLog, ofCall('greeting requested')),
    model_response_created: greetingResponse?.createdAt ?? Number.NaN,
    model_first_audio: greetingResponse?.firstAudioAt ?? Number.NaN,
    agent_first_spoke: logTime(agentLog, ofCall('agent first spoke')),
    first_audio_at_bridge: logTime(bridgeLog, ofCall('first agent audio')),
    first_audio_at_caller: wall(greetingAt),
  };
  // Each stage as ms from the stream start (the webhook and dispatch come before it: negative).
  for (const stage of GREETING_STAGES) result.stagesMs[stage] = stageAt[stage] - stageAt.stream_start;
  // The next call starts once this one is gone from the agent too (its job process is free).
  await stack.workers[0]!.waitForLog(
    'the agent to end the call',
    (e) => e.msg === 'call ended' && e.callSid === call.callSid,
    30_000,
  );
  return result;
}

/**
 * Waits until the agent's utterance is over at the caller: its mark echoed (played out), or a
 * `clear` (the bridge cut it: a barge-in, or a natural end taken for one). Clears are counted.
 */
let clearedUtterances = 0;
async function answerOver(call: SimulatedCall, what: string): Promise<void> {
  let over: 'played' | 'cleared' | undefined;
  const onMark = (m: { name: string; cleared: boolean }) => {
    if (!isProgressMark(m.name)) over ??= m.cleared ? 'cleared' : 'played';
  };
  const onClear = () => (over ??= 'cleared');
  call.on('mark', onMark);
  call.on('clear', onClear);
  try {
    await waitFor(`${what} to be over at the caller`, () => over, { timeoutMs: 30_000 });
    if (over === 'cleared') clearedUtterances++;
  } finally {
    call.off('mark', onMark);
    call.off('clear', onClear);
  }
}

const p50 = (xs: number[]) => (xs.length > 0 ? round(percentile(xs, 50), 1) : null);
const p95 = (xs: number[]) => (xs.length > 0 ? round(percentile(xs, 95), 1) : null);

say(`bench:latency: starting livekit-server, the Realtime simulator, an agent worker and the bridge…`);
const stack = await startStack({
  echo: logLevel === 'silent' ? undefined : (app, line) => say(`[${app}] ${line}`),
  bridgeEnv: {
    ...(answerWaitS === undefined ? {} : { ANSWER_WAIT_FOR_AGENT_S: answerWaitS }),
    ...(values['join-at-stream'] ? { PHONE_JOIN_WHILE_RINGING: 'false' } : {}),
  },
  script: {
    greeting: { say: GREETING },
    turns: { 1: { say: REPLIES[0] }, 2: { say: REPLIES[1] } },
  },
});
let exitCode = 0;
try {
  const results: CallResult[] = [];
  let failedCalls = 0;
  let cold: CallResult | undefined;
  for (let i = 0; i < calls; i++) {
    let r: CallResult;
    try {
      r = await oneCall(stack, i + 1);
    } catch (err) {
      // A call that fails (on a loaded box: a job process that never came up) is counted, and the
      // run goes on; the percentiles are of the calls that completed.
      failedCalls++;
      say(`call ${i + 1}/${calls} failed: ${(err as Error).message}`);
      await stack.twilio.hangupAll();
      continue;
    }
    results.push(r);
    if (i === 0) cold = r;
    say(
      `call ${i + 1}/${calls}${i === 0 ? ' (cold)' : ''}: greeting ${Math.round(r.greetingMs)} ms, ` +
        `turns ${r.turnsMs.map(Math.round).join(' / ')} ms (stack ${r.turnStackMs.map(Math.round).join(' / ')}; ` +
        `up ${r.uplinkMs.map(Math.round).join(' / ')}, down ${r.downlinkMs.map(Math.round).join(' / ')})`,
    );
  }
  say('measuring the plain LiveKit hop (rtc-node loopback, 8 tracks one after another, about 16 s)…');
  const hop = await measureLoopbackLatency(stack.livekit, { frames: 500 });

  const warm = results.filter((r) => r !== cold);
  if (warm.length === 0) throw new Error(`only ${results.length} of ${calls} calls completed`);
  const stagesP50: Record<string, number | null> = {};
  for (const stage of GREETING_STAGES) stagesP50[stage] = p50(warm.map((r) => r.stagesMs[stage]!));
  say('greeting stages (warm calls, p50, ms from stream start; cold call in brackets):');
  let previous: number | null = null;
  for (const stage of GREETING_STAGES) {
    const at = stagesP50[stage] ?? null;
    const coldAt = cold?.stagesMs[stage];
    const step = at !== null && previous !== null ? ` (+${round(at - previous, 1)})` : '';
    say(
      `  ${stage.padEnd(24)} ${String(at).padStart(8)}${step.padEnd(12)} [${coldAt === undefined ? '-' : round(coldAt, 1)}]`,
    );
    if (at !== null) previous = at;
  }
  const all = <K extends keyof CallResult>(k: K) => results.flatMap((r) => r[k] as number[]);
  console.log(
    JSON.stringify({
      calls,
      failed_calls: failedCalls,
      cold_greeting_ms: cold ? round(cold.greetingMs, 1) : null,
      greeting_ms_p50: p50(warm.map((r) => r.greetingMs)),
      greeting_ms_p95: p95(warm.map((r) => r.greetingMs)),
      answer_wait_ms_p50: p50(warm.map((r) => r.answerWaitMs)),
      caller_wait_ms_p50: p50(warm.map((r) => r.callerWaitMs)),
      caller_wait_ms_p95: p95(warm.map((r) => r.callerWaitMs)),
      model_first_output_ms: p50(all('modelFirstOutputMs')),
      turn_ms_p50: p50(all('turnsMs')),
      turn_stack_ms_p50: p50(all('turnStackMs')),
      turn_stack_ms_p95: p95(all('turnStackMs')),
      uplink_ms_p50: p50(all('uplinkMs')),
      downlink_ms_p50: p50(all('downlinkMs')),
      livekit_hop_ms_p50: hop.p50_ms,
      stream_gap_ms: streamGapMs,
      phone_join_while_ringing: !values['join-at-stream'],
      utterances_cleared: clearedUtterances,
      // Replies the model itself cut because its VAD heard the caller (none expected here).
      model_barge_ins: stack.realtime!.responses.filter((r) => r.cancelReason === 'turn_detected').length,
      greeting_stages_ms_p50: stagesP50,
    }),
  );
} catch (err) {
  say(`bench:latency failed: ${(err as Error).stack ?? String(err)}`);
  say(appLogTail(stack));
  exitCode = 1;
} finally {
  await stack.stop();
  await dispose();
}
process.exit(exitCode);
