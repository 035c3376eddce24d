// An outbound call through the whole product, every piece a real process: POST /api/calls on the
// bridge → Twilio REST simulator rings a simulated callee → the answered call streams to the bridge
// → the agent worker (LiveKit Agents + the OpenAI plugin, talking to the Realtime simulator) is
// dispatched with the task, says it is an AI and why it calls, the callee answers, the agent ends
// the call; the record holds both sides of the conversation, the tool call and the outcome.
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { TwilioRestSimulator } from '@callbridge/testkit/twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TWILIO_AUTH_TOKEN, type Stack } from '../../../scripts/lib/stack.js';
import { heardSince, matches, playedOut } from '../../../test/_caller.js';
import { API_KEY, apiClient, readSse, type ApiClient } from './_records-harness.js';

const VOICE = 'marin';
const OUR_NUMBER = '+15559870000';
const CALLEE = '+15554440001';
const TASK = 'Remind the patient of the appointment tomorrow at nine.';
const OPENING =
  'Hello, this is an AI assistant from Sunrise Clinic, calling to remind you of your appointment tomorrow at nine.';
const GOODBYE = 'Thank you, see you tomorrow. Goodbye.';

let stack: Stack;
let rest: TwilioRestSimulator;
let api: ApiClient;
/** The instructions the model was given for its first response. */
let openingInstructions = '';

beforeAll(async () => {
  rest = await new TwilioRestSimulator({ authToken: TWILIO_AUTH_TOKEN, ownedNumbers: [OUR_NUMBER] }).start();
  stack = await startStack({
    script: {
      // The simulator cannot understand instructions; it speaks the opening only if it was told to
      // say it is an AI and to give the purpose, so the test hears whether the agent was.
      greeting: (ctx) => {
        openingInstructions = ctx.instructions;
        const told = /AI\s+assistant/.test(ctx.instructions) && ctx.instructions.includes(TASK);
        return { say: told ? OPENING : 'Hello, how can I help you?' };
      },
      turns: { 1: { say: GOODBYE, callTool: { name: 'end_call', arguments: { reason: 'reminder given' } } } },
      userTranscripts: { 1: 'Yes, I will be there.' },
    },
    agentEnv: { OPENAI_VOICE: VOICE },
    bridgeEnv: {
      TWILIO_ACCOUNT_SID: rest.accountSid,
      TWILIO_API_BASE_URL: rest.baseUrl,
      API_KEY,
      OUTBOUND_FROM: OUR_NUMBER,
      OUTBOUND_ALLOWLIST: CALLEE,
    },
  });
  api = apiClient(stack.bridgeUrl);
}, 120_000);

afterAll(async () => {
  await rest?.close();
  await stack?.stop();
  await dispose();
});

describe('an outbound call end to end', () => {
  it('the agent states it is an AI and the purpose, the callee replies, the record has it all', async () => {
    const placed = await api.request('POST', '/api/calls', { to: CALLEE, task: TASK });
    expect(placed.status).toBe(201);
    const sid: string = placed.body.sid;
    const sse = await readSse(`${stack.bridgeUrl}/api/calls/${sid}/events`);
    const restCall = await rest.waitForCall((c) => c.request.callSid === sid && c.call !== null, 20_000);
    const call = restCall.call!;

    // The callee hears the opening: an AI, calling about the task.
    const openingAt = await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    await playedOut(call, 'the opening');
    expect(openingInstructions).toContain(TASK);
    const opening = matches(heardSince(call, openingAt - 100), OPENING, VOICE);
    expect(opening.median).toBeGreaterThan(0.7);

    // The callee answers; the agent says goodbye and hangs up with end_call.
    await call.sendAudio(speechPcm({ text: 'Yes, I will be there.', sampleRate: 8000 }));
    const closed = await call.closed;
    expect(closed.by).toBe('server');
    expect(await restCall.finished).toBe('completed');

    const record = await api.waitForCall(sid, (c) => c.outcome !== null && c.status === 'completed', 20_000);
    expect(record).toMatchObject({
      sid,
      direction: 'outbound',
      from: OUR_NUMBER,
      to: CALLEE,
      task: TASK,
      status: 'completed',
      outcome: 'agent_hung_up',
    });
    expect(record.agent_identity).toMatch(/^agent-/);
    expect(Date.parse(record.agent_joined_at)).toBeGreaterThanOrEqual(Date.parse(record.webhook_at));
    const lines = record.transcript.map((l: { speaker: string; text: string }) => `${l.speaker}: ${l.text}`);
    // (The simulator may still answer the end_call tool output while the line closes; that line,
    // if the room delivered it, is recorded after these.)
    expect(lines.slice(0, 3), JSON.stringify(lines)).toEqual([
      `agent: ${OPENING}`,
      'caller: Yes, I will be there.',
      `agent: ${GOODBYE}`,
    ]);
    expect(record.tool_calls).toHaveLength(1);
    expect(record.tool_calls[0]).toMatchObject({ name: 'end_call', error: null });
    const statuses = record.status_events.map((e: { status: string }) => e.status);
    expect(statuses).toEqual(
      expect.arrayContaining([
        'queued',
        'initiated',
        'ringing',
        'stream-started',
        'agent-joined',
        'completed',
      ]),
    );

    // The SSE stream carried the conversation live and ended with the record.
    await sse.closed;
    const live = sse.events.filter((e) => e.event === 'transcript').map((e) => e.data.text);
    expect(live.slice(0, 3), JSON.stringify(live)).toEqual([OPENING, 'Yes, I will be there.', GOODBYE]);
    expect(sse.events.some((e) => e.event === 'tool_call' && e.data.name === 'end_call')).toBe(true);
    expect(sse.events.at(-1)).toMatchObject({ event: 'ended', data: { outcome: 'agent_hung_up' } });
  }, 150_000);
});
