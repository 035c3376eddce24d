// Pieces dying mid-call, with every piece a real process: the agent worker and a call's own agent
// process (SIGKILL), and the model connection (the Realtime simulator drops it).
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import type { NodeApp } from '@callbridge/testkit/process';
import { isProgressMark, type SimulatedCall } from '@callbridge/testkit/twilio';
import type { RealtimeScript, RealtimeSimulator } from '@callbridge/testkit/realtime';
import { waitFor } from '@callbridge/testkit/wait';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../scripts/lib/stack.js';
import { heardSince, matches, playedOut } from './_caller.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});
afterAll(async () => dispose());

/** The worker whose call process logged taking this call. */
function workerServing(s: Stack, callSid: string): Promise<NodeApp> {
  return waitFor('a worker to take the call', () =>
    s.workers.find((x) => x.entries().some((e) => e.callSid === callSid && e.msg === 'caller joined')),
  );
}

const GREETING = 'Hello, this is the assistant. How can I help?';
const RESUMED = 'Sorry about that, where were we?';
const CALLER_SAID = 'I would like to move my appointment to Tuesday.';
const FIRST_ANSWER = 'Which time on Tuesday suits you?';
const ANSWER_WITH_CONTEXT = 'Tuesday at ten is free. Shall I book it?';
const ANSWER_WITHOUT_CONTEXT = 'Sorry, what would you like to do?';

/**
 * The model stand-in follows its instructions as a model would: told to pick the call up after an
 * interruption it apologises instead of greeting, and it can only answer about Tuesday when what the
 * caller said before is in its context (its instructions: the transcript is quoted there).
 */
const SCRIPT: RealtimeScript = {
  greeting: (ctx) => ({ say: /where were we/i.test(ctx.instructions) ? RESUMED : GREETING }),
  turns: {
    1: (ctx) => ({
      say: ctx.instructions.includes(CALLER_SAID)
        ? ANSWER_WITH_CONTEXT
        : ctx.responseNumber === 2
          ? FIRST_ANSWER
          : ANSWER_WITHOUT_CONTEXT,
    }),
  },
  userTranscripts: { 1: CALLER_SAID },
};

/**
 * The caller hears the agent after a fault: an onset after `afterMs`, played out to its end, and
 * it is `text` (correlation with the simulator's voice), i.e. a new agent took the call.
 */
async function hearsAgentAgain(call: SimulatedCall, afterMs: number, text: string): Promise<number> {
  const at = await call.waitForAudioOnset(afterMs, 45_000);
  await playedOut(call, 'the new agent');
  expect(matches(heardSince(call, at - 100), text).median).toBeGreaterThan(0.7);
  return at;
}

/** A call on a stack with two agent workers, once the caller has heard the greeting out. */
async function greetedCallWithTwoWorkers() {
  const s = await startStack({
    workers: 2,
    script: SCRIPT,
    bridgeEnv: { AGENT_REJOIN_GRACE_S: '1', AGENT_REJOIN_TIMEOUT_S: '30' },
  });
  stack = s;
  const call = await s.placeCall();
  await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
  // The kill comes between utterances: whatever the caller hears next is the new agent.
  await playedOut(call, 'the greeting');
  return { running: s, call, serving: await workerServing(s, call.callSid) };
}

/** The caller says something and hears the answer out; returns when the answer started. */
async function callerTurn(call: SimulatedCall, text: string): Promise<number> {
  const askedAt = performance.now();
  await call.sendAudio(speechPcm({ text, sampleRate: 8000 }));
  const at = await call.waitForAudioOnset(askedAt, 20_000);
  await playedOut(call, 'the answer');
  return at;
}

/** The Realtime connection the replacement agent opened (the second one). */
function replacementSession(rt: RealtimeSimulator) {
  return waitFor('the new agent to connect to the model', () => rt.sessions[1], 30_000);
}

describe('faults with real processes', () => {
  it('replaces an agent whose worker is SIGKILLed mid-call: the new agent continues the conversation', async () => {
    const { running, call, serving } = await greetedCallWithTwoWorkers();
    const rt = running.realtime!;
    const firstAnswerAt = await callerTurn(call, CALLER_SAID);
    expect(matches(heardSince(call, firstAnswerAt - 100), FIRST_ANSWER).median).toBeGreaterThan(0.7);

    const killedAt = performance.now();
    serving.signal('SIGKILL');
    // Its first words are the pick-up line, not the greeting...
    const heardAgainAt = await hearsAgentAgain(call, killedAt, RESUMED);
    expect(matches(heardSince(call, heardAgainAt - 100), GREETING).median).toBeLessThan(0.5);
    const second = await replacementSession(rt);
    const firstReply = rt.events.find(
      (e) => e.sessionId === second.id && e.direction === 'client' && e.type === 'response.create',
    )!;
    const asked = JSON.stringify(firstReply.body);
    expect(asked).toMatch(/where were we/);
    expect(asked).not.toMatch(/Greet the caller/);
    // ...and the conversation so far (from the bridge's call record) is in the model's context.
    const configured = rt.events.filter(
      (e) => e.sessionId === second.id && e.direction === 'client' && e.type === 'session.update',
    );
    const context = JSON.stringify(configured.map((e) => e.body));
    for (const line of [`Assistant: ${GREETING}`, `Caller: ${CALLER_SAID}`, `Assistant: ${FIRST_ANSWER}`])
      expect(context).toContain(line);
    const redispatch = running.bridge.entries().find((e) => e.msg === 'new agent continues the call');
    expect(redispatch?.historyLines).toBe(3);

    // The caller's next turn is answered with the earlier turns available to the model.
    const nextAt = await callerTurn(call, 'Hello? Did you get that?');
    expect(matches(heardSince(call, nextAt - 100), ANSWER_WITH_CONTEXT).median).toBeGreaterThan(0.7);
    const recoveryMs = Math.round(heardAgainAt - killedAt);
    console.log(JSON.stringify({ agent_kill_recovery_ms: recoveryMs }));
    const other = running.workers.find((w) => w !== serving)!;
    await other.waitForLog(
      'the new agent',
      (e) => e.callSid === call.callSid && e.msg === 'caller joined',
      5000,
    );
    expect(running.bridge.entries().some((e) => e.msg === 'agent replaced')).toBe(true);
    // Recovery time is printed, not asserted. Measured ≈ 2.5 s on the 2-core machine: the orphaned
    // call process leaves the room as soon as its IPC channel closes, then the 1 s grace, the
    // dispatch and the new agent's first words. (Before it left by itself, 26 s: LiveKit Agents' 15 s
    // orphan timeout, then LiveKit's ~10 s to notice.)
    await call.hangup();
  }, 180_000);

  it("replaces an agent whose call process is SIGKILLed (it never leaves): LiveKit's connection-lost report", async () => {
    const { running, call, serving } = await greetedCallWithTwoWorkers();
    // The call runs in a process of its own; its log lines carry that process's pid.
    const joined = serving.entries().find((e) => e.callSid === call.callSid && e.msg === 'caller joined')!;
    const jobPid = Number(joined.pid);
    expect(jobPid).not.toBe(serving.pid);

    const killedAt = performance.now();
    process.kill(jobPid, 'SIGKILL');
    const heardAgainAt = await hearsAgentAgain(call, killedAt, RESUMED);
    const recoveryMs = Math.round(heardAgainAt - killedAt);
    console.log(JSON.stringify({ agent_process_kill_recovery_ms: recoveryMs }));
    const log = running.bridge.entries();
    expect(log.some((e) => e.msg === 'agent connection lost')).toBe(true);
    expect(log.some((e) => e.msg === 'agent replaced')).toBe(true);
    // Printed, not asserted: LiveKit reports the connection lost with its next quality update,
    // 5–10 s after the kill (it drops the participant only ~10 s later); then the grace, the
    // dispatch and the new agent's first words.
    await call.hangup();
  }, 120_000);

  it('apologises and ends the call cleanly when no agent comes back', async () => {
    stack = await startStack({
      workers: 1,
      bridgeEnv: { AGENT_REJOIN_GRACE_S: '1', AGENT_REJOIN_TIMEOUT_S: '4' },
    });
    const call = await stack.placeCall();
    await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    const serving = await workerServing(stack, call.callSid);
    const killedAt = performance.now();
    serving.signal('SIGKILL');
    const closed = await call.closed;
    await call.ended;
    const endedMs = Math.round(closed.atMs - killedAt);
    console.log(JSON.stringify({ agent_lost_call_ended_ms: endedMs }));
    expect(closed.by).toBe('server');
    expect(call.said.join(' ')).toMatch(/technical trouble/);
    expect(stack.bridge.entries().some((e) => e.msg === 'call ended' && e.outcome === 'agent_lost')).toBe(
      true,
    );
  }, 120_000);

  it('keeps the call going when the model connection drops (the plugin reconnects)', async () => {
    stack = await startStack({
      workers: 1,
      script: {
        greeting: { say: 'Hello, how can I help?' },
        turns: {
          1: { say: 'Let me check that for you.', fault: { kind: 'drop', when: 'mid_audio' } },
          2: { say: 'I am back. Your appointment is on Tuesday.' },
        },
      },
    });
    const call = await stack.placeCall();
    const rt = stack.realtime!;
    await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    await playedOut(call, 'the greeting');
    const utteranceMarks = () => call.marksEchoed.filter((m) => !isProgressMark(m)).length;
    const marksBefore = utteranceMarks();
    const clearsBefore = call.clears.length;
    await call.sendAudio(speechPcm({ text: 'When is my appointment?', sampleRate: 8000 }));
    // The answer starts, the model connection drops mid-audio, and the plugin opens a new one.
    await call.waitForAudioOnset(performance.now() - 200, 20_000);
    const second = await waitFor('the plugin to open a new model connection', () => rt.sessions[1], 30_000);
    await rt.events.waitFor(
      (e) => e.sessionId === second.id && e.type === 'session.updated',
      20_000,
      'the new connection configured',
    );
    // The cut-off answer is over at the caller before the next question: played to its mark, or
    // (what the agent does when the connection drops mid-answer) cleared as an interruption.
    await waitFor(
      'the cut-off answer to end at the caller',
      () => utteranceMarks() > marksBefore || call.clears.length > clearsBefore,
    );
    const askedAt = performance.now();
    await call.sendAudio(speechPcm({ text: 'Hello? Are you still there?', sampleRate: 8000 }));
    const answeredAt = await call.waitForAudioOnset(askedAt, 20_000);
    console.log(JSON.stringify({ model_drop_next_answer_ms: Math.round(answeredAt - askedAt) }));
    // ...and it is the new connection's answer, heard whole.
    await playedOut(call, 'the answer after the reconnect');
    expect(
      matches(heardSince(call, answeredAt - 100), 'I am back. Your appointment is on Tuesday.').median,
    ).toBeGreaterThan(0.7);
    expect(call.violations).toEqual([]);
    await call.hangup();
  }, 120_000);
});
