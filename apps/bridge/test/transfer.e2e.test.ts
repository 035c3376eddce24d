// A warm transfer through the whole product, every piece a real process: the caller asks for a
// human, the model (Realtime simulator) says so and calls transfer_call with a summary, the agent
// worker waits for those words to play and asks the bridge, the Twilio simulator dials. Nobody
// answers: the caller is back on a new stream in the same room and hears the agent say so (the
// model was told why). Someone answers: they hear the model's summary first, press 1, and the
// call's record ends `transferred`.
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import type { DialCallee } from '@callbridge/testkit/twilio';
import { waitFor } from '@callbridge/testkit/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../scripts/lib/stack.js';
import { heardSince, matches, playedOut } from '../../../test/_caller.js';
import { API_KEY, apiClient } from './_records-harness.js';

const HUMAN = '+15550001111';
const SUMMARY = 'Dana Lee needs help with a double charge on her March invoice.';
const HANDING_OVER = 'Of course, let me transfer you to our billing team now.';
const BACK = 'I am sorry, nobody in billing answered. Can I take a message for them?';

let stack: Stack;
/** What the model was asked to say after the transfer, per response. */
const afterTransfer: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    script: {
      greeting: { say: 'Hello, how can I help?' },
      turns: {
        1: {
          say: HANDING_OVER,
          callTool: { name: 'transfer_call', arguments: { to: HUMAN, summary: SUMMARY } },
        },
      },
      // Read the tool's result: nothing to say while the caller hears ringing.
      afterToolOutput: { say: '' },
      // The agent asks for a reply when the transfer fails; the simulator says BACK only if it was
      // told why (it cannot understand instructions, so the test hears whether it was).
      prompted: (ctx) => {
        afterTransfer.push(ctx.instructions);
        return { say: /did not go through: nobody answered/.test(ctx.instructions) ? BACK : 'Hm.' };
      },
    },
    agentEnv: { TRANSFER_ALLOWLIST: HUMAN },
    bridgeEnv: { TRANSFER_ALLOWLIST: HUMAN, TRANSFER_RING_TIMEOUT_S: '2', API_KEY },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await dispose();
});

/** A call whose caller asks for a human after the greeting. */
async function callAndAskForAHuman(callee: DialCallee) {
  const call = await stack.placeCall({ dialCallees: () => callee });
  await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
  await playedOut(call, 'the greeting');
  await call.sendAudio(speechPcm({ text: 'Can I talk to someone in billing please?', sampleRate: 8000 }));
  return { call, askedAt: performance.now() };
}

describe('warm transfer end to end', () => {
  it('nobody answers: the caller is back with the agent, who was told why', async () => {
    const { call, askedAt } = await callAndAskForAHuman({ kind: 'no-answer' });
    const handingOverAt = await call.waitForAudioOnset(askedAt, 30_000);
    // The hand-over words played in full before the line rang (the tool waits for them): read
    // while the first stream is still the one heard (the number rings for 2 s).
    await waitFor('the number ringing', () => call.dialed.length > 0, { timeoutMs: 30_000 });
    expect(matches(heardSince(call, handingOverAt - 100), HANDING_OVER).median).toBeGreaterThan(0.7);
    await waitFor('the dial', () => call.dials[0], { timeoutMs: 30_000 });
    expect(call.dials[0]).toMatchObject({ number: HUMAN, status: 'no-answer' });

    await call.waitForStream(2, 30_000);
    const backAt = await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    await playedOut(call, 'the agent back');
    expect(afterTransfer.some((i) => i.includes(`The transfer to ${HUMAN} did not go through`))).toBe(true);
    const back = matches(heardSince(call, backAt - 100), BACK);
    expect(back.median).toBeGreaterThan(0.7);
    await call.hangup();
  });

  it("someone answers: they hear the model's summary, accept, and the record ends transferred", async () => {
    const { call } = await callAndAskForAHuman({ kind: 'human', ringMs: 300, keys: '1', talkMs: 500 });
    const end = await call.ended;
    expect(end.status).toBe('completed');
    expect(call.dials[0]).toMatchObject({ number: HUMAN, status: 'completed', bridged: true });
    expect(call.dials[0]!.whisperSaid[0]).toBe(SUMMARY);
    const api = apiClient(stack.bridgeUrl);
    const record = await waitFor('the record ended', async () => {
      const res = await api.request('GET', `/api/calls/${call.callSid}`);
      return res.body?.outcome ? res.body : undefined;
    });
    expect(record).toMatchObject({ outcome: 'transferred' });
    // The summary came from the model's tool call, recorded with the call.
    expect(JSON.stringify(record.tool_calls)).toContain(SUMMARY);
  });
});
