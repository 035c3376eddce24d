/**
 * The agent worker as a real process: real livekit-server, the Realtime simulator standing in for
 * OpenAI, and an rtc-node participant standing in for the bridge's phone participant.
 */
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startRealtimeSimulator, type RealtimeSimulator } from '@callbridge/testkit/realtime';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchAt, onsetIndex } from './_audio.js';
import { dispatchCall, newCall } from './_calls.js';
import { joinAsPhone, type StandInPhone } from './_phone.js';
import { startWorkerProcess, type WorkerProcess } from './_worker.js';

const AGENT = 'e2e-agent';
const GREETING = 'Hello, you have reached the simulated clinic. How can I help?';

let livekit: LiveKitServer;
let sim: RealtimeSimulator;
let worker: WorkerProcess;
const phones: StandInPhone[] = [];

beforeAll(async () => {
  livekit = await startLiveKitServer();
  sim = await startRealtimeSimulator({ script: { greeting: { say: GREETING } } });
  worker = await startWorkerProcess({
    livekit,
    openaiBaseUrl: sim.baseUrl,
    agentName: AGENT,
    extra: { TRANSFER_ALLOWLIST: '+15550001111', SILENCE_REPROMPT_S: '0' },
  });
}, 60_000);

afterAll(async () => {
  for (const p of phones) await p.leave().catch(() => undefined);
  await worker?.stop();
  await sim?.stop();
  await livekit?.stop();
});

async function call(extra: Parameters<typeof dispatchCall>[3] = {}) {
  const identity = newCall();
  const room = await dispatchCall(livekit, AGENT, identity, extra);
  const phone = await joinAsPhone(livekit, room, identity);
  phones.push(phone);
  return { identity, room, phone };
}

describe('agent worker with a phone participant', () => {
  it('greets the caller first, with the speech the model produced', async () => {
    const { phone } = await call();
    const recording = await phone.agentAudio;
    const greeting = await phone.waitFor('greeting audio', () => {
      const pcm = recording.samples();
      const at = onsetIndex(pcm, 48_000);
      return at >= 0 && pcm.length > at + 48_000 * 2 ? { pcm, at } : undefined;
    });
    const reply = sim.responses.find((r) => r.trigger === 'greeting');
    expect(reply?.text).toBe(GREETING);
    const peak = matchAt(reply!.audio, greeting.pcm, greeting.at);
    const frame = recording.frames.find((f) => f.index + f.length > greeting.at);
    console.log(
      `greeting: correlation ${peak.toFixed(3)}, heard ${((frame?.atMs ?? 0) - phone.joinedAt).toFixed(0)} ms after join`,
    );
    expect(peak).toBeGreaterThan(0.6);
  });
});
