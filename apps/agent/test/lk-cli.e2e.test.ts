/**
 * Talking to the agent without a phone, exactly as apps/agent/README.md tells a developer to:
 * `lk dispatch create` brings the agent into a room, `lk room join --publish speech.ogg` speaks
 * into it, and a hidden subscriber checks that the agent greets and answers.
 */
import { encodeWav, speechPcm } from '@callbridge/testkit/audio-fixtures';
import { recordRemoteAudio, startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startRealtimeSimulator, type RealtimeSimulator } from '@callbridge/testkit/realtime';
import { waitFor, type Probe } from '@callbridge/testkit/wait';
import { Room } from '@livekit/rtc-node';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { matchAt, onsetIndex } from './_audio.js';
import { startWorkerProcess, type WorkerProcess } from './_worker.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LK = process.env.LK_BIN ?? join(repoRoot, '.tools/bin/lk');
const AGENT = 'cli-agent';
const ROOM = 'lk-cli-test';
const CALLER_SAYS = 'Hello, I am calling to check my appointment.';
const REPLY = 'Your appointment is on Tuesday at ten.';

let livekit: LiveKitServer;
let sim: RealtimeSimulator;
let worker: WorkerProcess;
let lkJoin: ChildProcess | undefined;
let listener: Room | undefined;
let dir: string;

beforeAll(async () => {
  if (!existsSync(LK))
    throw new Error(`lk CLI not found at ${LK}; build it with "npm run setup -- --lk" or set LK_BIN`);
  dir = mkdtempSync(join(tmpdir(), 'callbridge-lk-'));
  livekit = await startLiveKitServer();
  sim = await startRealtimeSimulator({
    script: { greeting: { say: 'Hello, how can I help?' }, turns: { 1: { say: REPLY } } },
  });
  worker = await startWorkerProcess({
    livekit,
    openaiBaseUrl: sim.baseUrl,
    agentName: AGENT,
    extra: { SILENCE_REPROMPT_S: '0' },
  });
}, 60_000);

afterAll(async () => {
  lkJoin?.kill('SIGINT');
  await listener?.disconnect();
  await worker?.stop();
  await sim?.stop();
  await livekit?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** speech.ogg made as in the README (espeak-ng + sox), with silence around the speech. */
function makeSpeechOgg(path: string): void {
  const rate = 48_000;
  const speech = speechPcm({ text: CALLER_SAYS, sampleRate: rate });
  // 8 s of lead: the agent joins, links and greets before the "caller" speaks, even on a busy machine.
  const pcm = new Int16Array(rate * 8 + speech.length + rate * 2);
  pcm.set(speech, rate * 8);
  const wav = join(dir, 'speech.wav');
  writeFileSync(wav, encodeWav(pcm, rate));
  execFileSyncChecked('sox', [wav, '-t', 'sndfile', path]);
  // lk publishes Ogg *Opus* only; libsndfile picks Opus for .ogg, but say so if that ever changes.
  if (!readFileSync(path).includes('OpusHead'))
    throw new Error(`${path} is not Ogg Opus; lk cannot publish it`);
}

function execFileSyncChecked(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'pipe' });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
}

/**
 * A plain subscriber. Not a hidden participant: LiveKit 1.13 did not forward the agent's audio
 * to a hidden subscriber in our runs.
 */
async function listenerRoom(): Promise<Room> {
  const token = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: 'listener', ttl: '10m' });
  token.addGrant({ room: ROOM, roomJoin: true, canSubscribe: true, canPublish: false });
  const room = new Room();
  await room.connect(livekit.url, await token.toJwt(), { autoSubscribe: true, dynacast: false });
  return room;
}

/** The testkit's waitFor with this file's pace: 30 s bounds, polled every 100 ms. */
const until = <T>(what: string, probe: Probe<T>): Promise<T> =>
  waitFor(what, probe, { timeoutMs: 30_000, intervalMs: 100 });

it('lk dispatch create + lk room join --publish speech.ogg: the agent greets and answers', async () => {
  const ogg = join(dir, 'speech.ogg');
  makeSpeechOgg(ogg);
  const lkEnv = {
    ...process.env,
    LIVEKIT_URL: livekit.httpUrl,
    LIVEKIT_API_KEY: livekit.apiKey,
    LIVEKIT_API_SECRET: livekit.apiSecret,
  };
  const rooms = new RoomServiceClient(livekit.httpUrl, livekit.apiKey, livekit.apiSecret);
  const participants = () => rooms.listParticipants(ROOM).catch(() => []);

  // 1. lk dispatch create: the agent joins the room and waits for someone to talk to.
  const dispatched = await promisify(execFile)(
    LK,
    ['dispatch', 'create', '--room', ROOM, '--agent-name', AGENT],
    {
      env: lkEnv,
    },
  );
  expect(`${dispatched.stdout}${dispatched.stderr}`).toContain(AGENT);
  await until('agent in the room', async () =>
    (await participants()).find((p) => p.identity.startsWith('agent-')),
  );

  // 2. lk room join --publish speech.ogg: the developer "speaks" (after a pause for the greeting).
  let lkOutput = '';
  lkJoin = spawn(LK, ['room', 'join', '--identity', 'dev-caller', '--publish', ogg, ROOM], { env: lkEnv });
  lkJoin.stdout?.on('data', (c: Buffer) => (lkOutput += c.toString()));
  lkJoin.stderr?.on('data', (c: Buffer) => (lkOutput += c.toString()));

  // 3. A subscriber listens. It joins right after the lk participant: the agent, already waiting
  // in the room, sees the lk participant first and takes it as the caller.
  await until('lk participant in the room', async () =>
    (await participants()).find((p) => p.identity === 'dev-caller'),
  ).catch((err: Error) => {
    throw new Error(`${err.message}; lk said:\n${lkOutput}`);
  });
  listener = await listenerRoom();
  const recording = await recordRemoteAudio(listener, { from: (p) => p.identity.startsWith('agent-') });

  // The caller's speech from the file reached the model, which answered that turn...
  const reply = await until('reply to the caller', () => sim.responses.find((r) => r.text === REPLY));
  expect(reply.trigger).toBe('user_turn');
  const heard = sim.events.find(
    (e) => e.sessionId === reply.sessionId && e.type === 'input_audio_buffer.speech_started',
  );
  expect(heard).toBeDefined();
  // ...and the subscriber hears the agent say it: find audio that arrived after the reply began.
  // Waits for it: the reply is announced before its audio has travelled to the subscriber, and
  // searching from the start of the recording would find the greeting instead.
  const replyStart = await until(
    'audio after the reply began',
    () => recording.frames.find((f) => performance.timeOrigin + f.atMs >= reply.createdAt)?.index,
  );
  const onset = await until('answer audio', () => {
    const pcm = recording.samples();
    const at = onsetIndex(pcm, 48_000, replyStart);
    return at >= 0 && pcm.length > at + 48_000 * 2.2 ? at : undefined;
  });
  const pcm = recording.samples();
  const onsets: string[] = [];
  for (let at = onsetIndex(pcm, 48_000); at >= 0; at = onsetIndex(pcm, 48_000, at + 48_000 * 0.3)) {
    onsets.push((at / 48_000).toFixed(2));
  }
  const timeline = `speech onsets (s) ${onsets.join(',')}; reply began at ${(replyStart / 48_000).toFixed(2)} s`;
  expect(matchAt(reply.audio, pcm, 48_000, onset), timeline).toBeGreaterThan(0.7);
  // No call metadata on this path: the lk participant is the caller, without a phone line to hang up.
  expect(worker.entries().find((e) => e.msg === 'caller joined')).toMatchObject({
    participant: 'dev-caller',
    phone: false,
  });
}, 90_000);
