/**
 * The agent worker as a real process: real livekit-server, the Realtime simulator standing in for
 * OpenAI, and an rtc-node participant standing in for the bridge's phone participant.
 */
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startRealtimeSimulator, type RealtimeSimulator } from '@callbridge/testkit/realtime';
import { rmsDbfs, speechPcm } from '@callbridge/testkit/audio-fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { matchAt, onsetIndex } from './_audio.js';
import { dispatchCall, newCall } from './_calls.js';
import { joinAsPhone, type StandInPhone } from './_phone.js';
import { logTail, startWorkerProcess, type WorkerProcess } from './_worker.js';

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

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.log(`agent worker log (tail):\n${logTail(worker)}`);
});

afterAll(async () => {
  for (const p of phones) await p.leave().catch(() => undefined);
  await worker?.stop();
  await sim?.stop();
  await livekit?.stop();
});

async function call(
  extra: Parameters<typeof dispatchCall>[3] = {},
  opts: { afterModelReady?: boolean } = {},
) {
  const identity = newCall();
  const sessionsBefore = sim.sessions.length;
  const room = await dispatchCall(livekit, AGENT, identity, extra);
  if (opts.afterModelReady) {
    // As with the real bridge, whose phone line comes up a second or so after it dispatches.
    await sim.events.waitFor(
      (e) =>
        e.type === 'session.updated' && sim.sessions.findIndex((s) => s.id === e.sessionId) >= sessionsBefore,
      20_000,
      'agent model session',
    );
  }
  const phone = await joinAsPhone(livekit, room, identity);
  phones.push(phone);
  return { identity, room, phone };
}

/** Caller speech at 48 kHz, as the bridge would publish it. */
const speech = (text: string) => speechPcm({ text, sampleRate: 48_000 });

describe('agent worker with a phone participant', () => {
  it('greets the caller first, with the speech the model produced', async () => {
    sim.setScript({ greeting: { say: GREETING } });
    const { phone, identity } = await call({}, { afterModelReady: true });
    const greeting = await phone.nextUtterance(0);
    const reply = sim.responses.find((r) => r.trigger === 'greeting');
    expect(reply?.text).toBe(GREETING);
    const peak = matchAt(reply!.audio, greeting.pcm, 48_000, greeting.onset);
    // Where the time goes, from the phone joining to the greeting being heard (wall clock, ms).
    const joined = performance.timeOrigin + phone.joinedAt;
    const session = sim.sessions.find((x) => x.id === reply!.sessionId)!;
    const at = (type: string) =>
      sim.events.find((e) => e.sessionId === session.id && e.type === type)?.at ?? NaN;
    const callerSeen = Number(
      worker.entries().find((e) => e.msg === 'caller joined' && e.callSid === identity.callSid)?.time,
    );
    const steps = {
      agentSawCaller: callerSeen - joined,
      modelConnected: session.connectedAt - joined,
      greetingRequested: at('response.create') - joined,
      firstAudioSent: (reply!.firstAudioAt ?? NaN) - joined,
      heardByCaller: performance.timeOrigin + greeting.heardAt - joined,
    };
    console.log(
      `greeting: correlation ${peak.toFixed(3)}; ms after the phone joined: ${JSON.stringify(steps)}`,
    );
    expect(peak).toBeGreaterThan(0.7);
    // The framework publishes both sides' transcripts; the agent's is the model's transcript.
    await phone.waitFor('agent transcript', () =>
      phone.texts.find(
        (t) => t.topic === 'lk.transcription' && t.from.startsWith('agent-') && t.text === GREETING,
      ),
    );
  });

  it('answers a caller turn: the caller is heard by the model and the reply reaches the caller', async () => {
    const REPLY = 'Of course. Which day would suit you best?';
    const QUESTION = 'I would like to book an appointment for next week.';
    sim.setScript({ greeting: { say: 'Hi there.' }, turns: { 1: { say: REPLY } } });
    const { phone } = await call();
    const greeting = await phone.nextUtterance(0);
    const question = speech(QUESTION);
    await phone.say(question);
    const answer = await phone.nextUtterance(greeting.end);
    const record = sim.responses.find((r) => r.text === REPLY);
    expect(record?.trigger).toBe('user_turn');
    const heardByCaller = matchAt(record!.audio, answer.pcm, 48_000, answer.onset);
    // Uplink: what the model received is the caller's speech (through Opus and two resamplers).
    const session = sim.sessions.find((s) => s.id === record?.sessionId);
    const heardByModel = session!.inputAudio();
    const spokenAt = onsetIndex(heardByModel, 24_000);
    const uplink = matchAt(speechPcm({ text: QUESTION, sampleRate: 24_000 }), heardByModel, 24_000, spokenAt);
    console.log(
      `turn: reply correlation ${heardByCaller.toFixed(3)}, uplink correlation ${uplink.toFixed(3)}`,
    );
    expect(heardByCaller).toBeGreaterThan(0.7);
    expect(uplink).toBeGreaterThan(0.7);
    const started = sim.events.find(
      (e) => e.sessionId === session?.id && e.type === 'input_audio_buffer.speech_started',
    );
    expect(started).toBeDefined();
    // The caller's side of the transcript is published too (the simulator's honest "[speech … s]").
    await phone.waitFor('caller transcript', () =>
      phone.texts.find((t) => t.topic === 'lk.transcription' && /^\[speech \d+\.\d s\]$/.test(t.text)),
    );
  });

  it('relays keypad digits to the model as a user input item', async () => {
    sim.setScript({ greeting: { say: 'Hi.' } });
    const { phone } = await call();
    const greeting = await phone.nextUtterance(0);
    await phone.pressKeys('42#');
    const item = await sim.events.waitFor(
      (e) =>
        e.direction === 'client' &&
        e.type === 'conversation.item.create' &&
        JSON.stringify(e.body).includes('4 2 pound'),
      10_000,
      'DTMF user item',
    );
    expect(item.body).toMatchObject({ item: { type: 'message', role: 'user' } });
    // The model answers it like any user turn, and the caller hears the answer.
    const answer = await phone.nextUtterance(greeting.end);
    const record = sim.responses.find((r) => r.sessionId === item.sessionId && r.trigger === 'user_turn');
    expect(record?.text).toContain('4 2 pound');
    expect(matchAt(record!.audio, answer.pcm, 48_000, answer.onset)).toBeGreaterThan(0.7);
  });

  it('runs the example business tool, validates arguments, and publishes every call on callbridge.tool_calls', async () => {
    sim.setScript({
      greeting: { say: 'Hi.' },
      turns: {
        1: {
          callTool: {
            name: 'check_eligibility',
            arguments: { member_id: 'M B 1 2 3 4 5 6', date_of_birth: '1985-03-15' },
          },
        },
        2: {
          callTool: {
            name: 'check_eligibility',
            arguments: { member_id: 'MB999999', date_of_birth: '1985-03-15' },
          },
        },
        3: {
          callTool: {
            name: 'check_eligibility',
            arguments: { member_id: 'XY12', date_of_birth: '15/03/1985' },
          },
        },
        4: { callTool: { name: 'transfer_call', arguments: { to: '+1 555 000 1111' } } },
        5: { callTool: { name: 'transfer_call', arguments: { to: '+15559998888' } } },
      },
      afterToolOutput: { say: 'Thank you.' },
    });
    const { phone } = await call();
    let heard = (await phone.nextUtterance(0)).end;
    for (let turn = 1; turn <= 5; turn++) {
      await phone.pressKeys(`${turn}#`);
      heard = (await phone.nextUtterance(heard)).end;
    }
    const records = await phone.waitFor('five tool call records', () => {
      const list = phone.texts.filter((t) => t.topic === 'callbridge.tool_calls');
      return list.length >= 5 ? list.map((t) => JSON.parse(t.text) as Record<string, unknown>) : undefined;
    });
    for (const r of records) {
      expect(typeof r.startedAt).toBe('number');
      expect(Number(r.endedAt)).toBeGreaterThanOrEqual(Number(r.startedAt));
    }
    const [ok, notFound, invalid, transfer, refused] = records;
    expect(ok).toMatchObject({ name: 'check_eligibility', result: { eligible: true } });
    expect(String((ok?.result as { summary: string }).summary)).toContain('copay is 25 dollars');
    expect(notFound).toMatchObject({
      name: 'check_eligibility',
      error: expect.stringContaining('M B 9 9 9 9 9 9'),
    });
    expect(invalid?.error).toContain('member_id: a member ID is the letters M B followed by six digits');
    expect(invalid?.error).toContain('date_of_birth: the date of birth must be given as year-month-day');
    expect(transfer).toMatchObject({
      name: 'transfer_call',
      result: { transferred: true, to: '+15550001111' },
    });
    expect(refused).toMatchObject({ name: 'transfer_call', error: expect.stringContaining('not allowed') });
    // Only the allow-listed transfer reached the bridge.
    expect(phone.rpcCalls.filter((c) => c.method === 'transfer').map((c) => JSON.parse(c.payload))).toEqual([
      { to: '+15550001111' },
    ]);
    // The model was given the same words (as function_call_output items) that were published.
    const outputs = sim.events
      .filter((e) => e.direction === 'client' && e.type === 'conversation.item.create')
      .map((e) => e.body.item as { type: string; output?: string })
      .filter((i) => i.type === 'function_call_output');
    expect(outputs.some((o) => o.output?.includes('No member was found with ID M B 9 9 9 9 9 9'))).toBe(true);
  });

  it('end_call: says goodbye, waits for it to play, then asks the phone participant to hang up', async () => {
    const GOODBYE = 'Thank you for calling. Goodbye, and have a lovely day.';
    sim.setScript({
      greeting: { say: 'Hi.' },
      turns: { 1: { callTool: { name: 'end_call', arguments: { reason: 'caller said goodbye' } } } },
      afterToolOutput: { say: GOODBYE },
    });
    const { phone } = await call();
    const greeting = await phone.nextUtterance(0);
    await phone.say(speech('That is all, thank you. Bye!'));
    const hangup = await phone.waitFor(
      'hangup RPC',
      () => phone.rpcCalls.find((c) => c.method === 'hangup'),
      30_000,
    );
    expect(JSON.parse(hangup.payload)).toEqual({ reason: 'caller said goodbye' });
    // The goodbye was heard in full before the hang-up request.
    const recording = await phone.agentAudio;
    const pcm = recording.samples();
    const onset = onsetIndex(pcm, 48_000, greeting.end);
    const goodbye = sim.responses.find((r) => r.text === GOODBYE)!;
    expect(matchAt(goodbye.audio, pcm, 48_000, onset)).toBeGreaterThan(0.7);
    const heardAt = recording.frames.find((f) => f.index + f.length > onset)!.atMs;
    const goodbyeMs = (goodbye.audio.length / 24_000) * 1000;
    console.log(
      `end_call: hangup ${(hangup.at - heardAt - goodbyeMs).toFixed(0)} ms after the goodbye finished playing`,
    );
    expect(hangup.at - heardAt).toBeGreaterThan(goodbyeMs - 100);
    // And the agent leaves the call.
    await phone.waitFor(
      'agent to leave',
      () => ![...phone.room.remoteParticipants.keys()].some((id) => id.startsWith('agent-')) || undefined,
    );
  });

  it('barge-in: caller speech stops the agent mid-sentence, lk.agent.state leaves speaking, the model is told what was heard', async () => {
    const LONG =
      'Let me tell you about all of our opening hours, our locations, and the many services we offer to patients.';
    sim.setScript({ greeting: { say: LONG }, turns: { 1: { say: 'Sure, go ahead.' } } });
    const { phone } = await call();
    const recording = await phone.agentAudio;
    const onset = await phone.waitFor('greeting to start', () => {
      const at = onsetIndex(recording.samples(), 48_000);
      return at >= 0 ? at : undefined;
    });
    const greetingHeardAt = recording.frames.find((f) => f.index + f.length > onset)!.atMs;
    // Past LiveKit Agents' echo-canceller warm-up (3 s into the first utterance by default), during
    // which the caller's audio is replaced by silence and cannot interrupt.
    await phone.waitFor(
      '3.5 s of greeting',
      () => recording.samples().length > onset + 48_000 * 3.5 || undefined,
    );
    const spokeAt = performance.now();
    await phone.say(speech('Wait, stop please.'));

    const sessionId = sim.responses.find((r) => r.text === LONG)!.sessionId;
    const started = await sim.events.waitFor(
      (e) => e.sessionId === sessionId && e.type === 'input_audio_buffer.speech_started',
    );
    // The simulator, like the real API, streams faster than real time: by now the whole greeting
    // has usually been sent, so stopping is the agent's job (drop queued audio, truncate), not a
    // server-side cancel. Only a response still being generated ends `cancelled` (turn_detected).
    const greetingRecord = sim.responses.find((r) => r.text === LONG)!;
    const stopped = await phone.waitFor('agent state to leave speaking', () =>
      phone.agentStates.find((s) => s.at > spokeAt && s.state !== 'speaking'),
    );
    // The audio stops too: quiet soon after the state change (on a phone, the bridge's clear and
    // Twilio's flush follow). Generous, as audio and attributes travel separately under load.
    const stopIndex =
      recording.frames.find((f) => f.atMs >= stopped.at + 700)?.index ?? recording.samples().length;
    await phone.waitFor(
      '300 ms after stop',
      () => recording.samples().length > stopIndex + 48_000 * 0.3 || undefined,
    );
    expect(rmsDbfs(recording.samples(), stopIndex, stopIndex + 48_000 * 0.3)).toBeLessThan(-50);
    // The model's record of its own reply is cut to what the caller heard.
    const truncate = await sim.events.waitFor(
      (e) => e.sessionId === sessionId && e.direction === 'client' && e.type === 'conversation.item.truncate',
    );
    const heardMs = Number(truncate.body.audio_end_ms);
    const playedMs = stopped.at - greetingHeardAt;
    console.log(
      `barge-in: speech_started ${(started.at - performance.timeOrigin - spokeAt).toFixed(0)} ms after the caller began; ` +
        `state left speaking ${(stopped.at - (started.at - performance.timeOrigin)).toFixed(0)} ms after speech_started; ` +
        `truncated at ${heardMs} ms, ${playedMs.toFixed(0)} ms had been heard; state after: ${stopped.state}; ` +
        `model response ${greetingRecord.status}`,
    );
    // Within a second: `playedMs` also carries the attribute's trip through LiveKit, slow under load.
    expect(Math.abs(heardMs - playedMs)).toBeLessThan(1_000);
    const states = phone.agentStates.map((x) => `${x.state}@${(x.at - spokeAt).toFixed(0)}`).join(' ');
    console.log(`barge-in: lk.agent.state changes, ms after the caller started speaking: ${states}`);
  });
});
