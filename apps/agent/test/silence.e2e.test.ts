/**
 * A caller who goes quiet: the agent reprompts after SILENCE_REPROMPT_S, and after
 * SILENCE_MAX_REPROMPTS unanswered reprompts says goodbye and hangs up.
 */
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startRealtimeSimulator, type RealtimeSimulator } from '@callbridge/testkit/realtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { matchAt, onsetIndex } from './_audio.js';
import { dispatchCall, newCall } from './_calls.js';
import { joinAsPhone, type StandInPhone } from './_phone.js';
import { startWorkerProcess, type WorkerProcess } from './_worker.js';

const AGENT = 'quiet-agent';
const REPROMPT = 'Are you still there?';
const GOODBYE = 'I will hang up now. Goodbye.';

let livekit: LiveKitServer;
let sim: RealtimeSimulator;
let worker: WorkerProcess;
let phone: StandInPhone | undefined;

beforeAll(async () => {
  livekit = await startLiveKitServer();
  sim = await startRealtimeSimulator({
    script: {
      greeting: { say: 'Hello.' },
      // Responses asked for without caller input: the reprompt, then the goodbye.
      prompted: (ctx) => ({ say: ctx.responseNumber === 2 ? REPROMPT : GOODBYE }),
    },
  });
  worker = await startWorkerProcess({
    livekit,
    openaiBaseUrl: sim.baseUrl,
    agentName: AGENT,
    extra: { SILENCE_REPROMPT_S: '1.5', SILENCE_MAX_REPROMPTS: '1' },
  });
}, 60_000);

afterAll(async () => {
  await phone?.leave().catch(() => undefined);
  await worker?.stop();
  await sim?.stop();
  await livekit?.stop();
});

it('reprompts a silent caller, then says goodbye and hangs up', async () => {
  const call = newCall();
  phone = await joinAsPhone(livekit, await dispatchCall(livekit, AGENT, call), call);
  const greeting = await phone.nextUtterance(0);
  const reprompt = await phone.nextUtterance(greeting.end);
  const hangup = await phone.waitFor(
    'hangup RPC',
    () => phone!.rpcCalls.find((c) => c.method === 'hangup'),
    20_000,
  );
  expect(JSON.parse(hangup.payload)).toEqual({ reason: 'caller silent' });

  // The reprompt came after the configured silence, and the caller heard it.
  const silenceMs = reprompt.heardAt - greeting.heardAt - (sim.responses[0]!.audio.length / 24_000) * 1000;
  console.log(`silence: reprompt heard ${silenceMs.toFixed(0)} ms after the greeting ended`);
  expect(silenceMs).toBeGreaterThan(1_500);
  const repromptRecord = sim.responses.find((r) => r.text === REPROMPT)!;
  expect(repromptRecord.trigger).toBe('prompted');
  expect(matchAt(repromptRecord.audio, reprompt.pcm, 48_000, reprompt.onset)).toBeGreaterThan(0.7);
  const asks = sim.events
    .filter((e) => e.direction === 'client' && e.type === 'response.create')
    .map((e) => JSON.stringify(e.body));
  expect(asks.some((a) => a.includes('silent for a while'))).toBe(true);

  // The goodbye was heard before the hang-up.
  const recording = await phone.agentAudio;
  const pcm = recording.samples();
  const goodbyeOnset = onsetIndex(pcm, 48_000, reprompt.end);
  const goodbye = sim.responses.find((r) => r.text === GOODBYE)!;
  expect(matchAt(goodbye.audio, pcm, 48_000, goodbyeOnset)).toBeGreaterThan(0.7);
  const goodbyeHeardAt = recording.frames.find((f) => f.index + f.length > goodbyeOnset)!.atMs;
  // An agent that did not wait for its playout would hang up as the goodbye starts; one that waits
  // hangs up about its length later, less the one-way latency, which a loaded machine stretches.
  expect(hangup.at - goodbyeHeardAt).toBeGreaterThan((goodbye.audio.length / 24_000) * 1000 * 0.5);
}, 60_000);
