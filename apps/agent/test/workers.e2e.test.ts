/**
 * Two agent worker processes on one LiveKit server: calls are spread across them by load, and a
 * worker told to drain (SIGTERM) finishes its active call while new calls go to the other one.
 */
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startRealtimeSimulator, type RealtimeSimulator } from '@callbridge/testkit/realtime';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { matchAt } from './_audio.js';
import { dispatchCall, newCall } from './_calls.js';
import { joinAsPhone, type StandInPhone } from './_phone.js';
import { logTail, startWorkerProcess, type WorkerProcess } from './_worker.js';

const AGENT = 'scaled-agent';

let livekit: LiveKitServer;
let sim: RealtimeSimulator;
const workers: WorkerProcess[] = [];
const phones: StandInPhone[] = [];

beforeAll(async () => {
  livekit = await startLiveKitServer();
  sim = await startRealtimeSimulator({ script: { greeting: { say: 'Hello.' } } });
  const env = {
    livekit,
    openaiBaseUrl: sim.baseUrl,
    agentName: AGENT,
    extra: { MAX_CALLS_PER_WORKER: '1', SILENCE_REPROMPT_S: '0' },
  };
  workers.push(...(await Promise.all([startWorkerProcess(env), startWorkerProcess(env)])));
}, 60_000);

afterEach(({ task }) => {
  if (task.result?.state !== 'fail') return;
  for (const w of workers) console.log(`agent worker ${w.pid} log (tail):\n${logTail(w)}`);
});

afterAll(async () => {
  for (const p of phones) await p.leave().catch(() => undefined);
  await Promise.all(workers.map((w) => w.stop()));
  await sim?.stop();
  await livekit?.stop();
});

async function startCall() {
  const identity = newCall();
  const room = await dispatchCall(livekit, AGENT, identity);
  const phone = await joinAsPhone(livekit, room, identity);
  phones.push(phone);
  const greeting = await phone.nextUtterance(0);
  return { room, phone, heard: greeting.end };
}

/** The worker whose log shows it accepted the job for `room`. */
function workerFor(room: string): WorkerProcess | undefined {
  return workers.find((w) => w.entries().some((e) => e.msg === 'job accepted' && e.room === room));
}

const health = async (w: WorkerProcess, path: string) => {
  const res = await fetch(`http://127.0.0.1:${w.healthPort}${path}`);
  return { status: res.status, body: await res.text() };
};

it('spreads calls across workers, and a draining worker finishes its call while new calls go elsewhere', async () => {
  // Both workers at MAX_CALLS_PER_WORKER=1: the second call must land on the other worker.
  const first = await startCall();
  const second = await startCall();
  const a = workerFor(first.room);
  const b = workerFor(second.room);
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  expect(a).not.toBe(b);
  expect(await health(a!, '/readyz')).toMatchObject({ status: 503 });
  expect((await health(a!, '/metrics')).body).toMatch(/^callbridge_agent_active_sessions 1$/m);

  // Drain A while its call is in progress.
  // Whether A exits too early is read at the end of a period the test's own events define: from
  // the drain through A's answer, B freeing up and the third call landing on B.
  let aExited = false;
  void a!.exited.then(() => (aExited = true));
  a!.signal('SIGTERM');
  await a!.waitForLog('drain start', (e) => e.msg === 'draining: finishing active calls');

  // A's call still works end to end: the caller speaks and hears the answer.
  const REPLY = 'Still here, and still listening to you.';
  sim.setScript({ greeting: { say: 'Hello.' }, turns: { 1: { say: REPLY } } });
  await first.phone.say(speechPcm({ text: 'Are you still there?', sampleRate: 48_000 }));
  const answer = await first.phone.nextUtterance(first.heard);
  const reply = sim.responses.find((r) => r.text === REPLY)!;
  expect(matchAt(reply.audio, answer.pcm, 48_000, answer.onset)).toBeGreaterThan(0.7);
  expect(a!.entries().some((e) => e.msg === 'worker stopped')).toBe(false);

  // B frees up; a new call must go to B, never to the draining A.
  await second.phone.leave();
  await b!.waitForLog('B available again', (e) =>
    String(e.msg).includes('below capacity, marking as available'),
  );
  const third = await startCall();
  expect(workerFor(third.room)).toBe(b);

  // A is still running while its call is (it has been draining all along), and exits cleanly
  // once its last call ends.
  expect(aExited).toBe(false);
  await first.phone.leave();
  expect(await a!.exited).toBe(0);
}, 120_000);
