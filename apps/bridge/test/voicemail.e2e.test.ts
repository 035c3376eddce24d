// Answering machine detection through the whole product, every piece a real process. Calls are
// placed with asynchronous detection (MachineDetection=DetectMessageEnd, AsyncAmd=true): Twilio's
// REST simulator connects the call at once, the callee plays its voice (a voicemail box's espeak
// greeting and a 1 kHz beep, or a person's "Hello?"), and the verdict reaches the bridge by
// callback mid-call; the bridge relays it to the agent worker through the room.
import { dispose } from '@livekit/rtc-node';
import { speechPcm } from '@callbridge/testkit/audio-fixtures';
import { TwilioRestSimulator, type CalleeVoice, type RestCall } from '@callbridge/testkit/twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TWILIO_AUTH_TOKEN, type Stack } from '../../../scripts/lib/stack.js';
import { heardSince, matches, playedOut } from '../../../test/_caller.js';
import { API_KEY, apiClient, type ApiClient } from './_records-harness.js';

const VOICE = 'marin';
const OUR_NUMBER = '+15559870000';
const MACHINE = '+15554440010';
const HUMAN = '+15554440012';
const VOICEMAIL_BOX: CalleeVoice = {
  greeting:
    'Hi, you have reached Sam. I cannot take your call right now. Please leave a message after the tone.',
  beep: true,
};
const MESSAGE = 'Hello Sam, this is the clinic assistant. Your prescription is ready for pickup. Goodbye.';
const OPENING = 'Hello, this is an AI assistant from the clinic, calling about your prescription.';

let stack: Stack;
let rest: TwilioRestSimulator;
let api: ApiClient;

beforeAll(async () => {
  rest = await new TwilioRestSimulator({
    authToken: TWILIO_AUTH_TOKEN,
    ownedNumbers: [OUR_NUMBER],
    callees: ({ to }) =>
      to === HUMAN
        ? { answer: 'human', voice: { greeting: 'Hello?' } }
        : { answer: 'machine', voice: VOICEMAIL_BOX },
  }).start();
  stack = await startStack({
    script: {
      // The model speaks the voicemail only if it was told to leave exactly this message.
      greeting: (ctx) => ({ say: ctx.instructions.includes(`"${MESSAGE}"`) ? MESSAGE : OPENING }),
    },
    agentEnv: { OPENAI_VOICE: VOICE },
    bridgeEnv: {
      TWILIO_ACCOUNT_SID: rest.accountSid,
      TWILIO_API_BASE_URL: rest.baseUrl,
      API_KEY,
      OUTBOUND_FROM: OUR_NUMBER,
      OUTBOUND_ALLOWLIST: '+1555444*',
      OUTBOUND_MACHINE_DETECTION: 'DetectMessageEnd',
    },
  });
  api = apiClient(stack.bridgeUrl);
}, 120_000);

afterAll(async () => {
  await rest?.close();
  await stack?.stop();
  await dispose();
});

async function place(to: string, voicemail: unknown): Promise<{ sid: string; restCall: RestCall }> {
  const placed = await api.request('POST', '/api/calls', {
    to,
    task: 'Tell the patient their prescription is ready.',
    voicemail,
  });
  expect(placed.status).toBe(201);
  const sid: string = placed.body.sid;
  const restCall = await rest.waitForCall((c) => c.request.callSid === sid && c.call !== null, 20_000);
  // Asked of Twilio: asynchronous detection, its verdict posted to the bridge.
  expect(restCall.request.form).toMatchObject({
    MachineDetection: ['DetectMessageEnd'],
    AsyncAmd: ['true'],
    AsyncAmdStatusCallback: [`${stack.bridgeUrl}/twilio/amd`],
  });
  return { sid, restCall };
}

describe('answering machine detection', () => {
  it('machine, leave_message: after the beep the voicemail box records the message, then the call ends as voicemail', async () => {
    const { sid, restCall } = await place(MACHINE, { action: 'leave_message', message: MESSAGE });
    const call = restCall.call!;
    const closed = await call.closed;
    expect(closed.by).toBe('server');
    expect(restCall.amd).toMatchObject({ answeredBy: 'machine_end_beep', httpStatus: 204 });
    const verdictAt = restCall.amd!.atMs; // sent once the greeting and the beep had played

    // Nothing from the agent during the greeting; its message starts after the beep.
    expect(call.audioOnsets.length).toBeGreaterThan(0);
    expect(call.audioOnsets.filter((t) => t < verdictAt)).toEqual([]);
    const message = matches(heardSince(call, call.audioOnsets[0]! - 100), MESSAGE, VOICE);
    expect(message.median).toBeGreaterThan(0.7);

    const record = await api.waitForCall(sid, (c) => c.outcome !== null, 20_000);
    expect(record).toMatchObject({ outcome: 'voicemail', answered_by: 'machine_end_beep' });
    expect(record.status_events.map((e: { status: string }) => e.status)).toContain('machine-detection');
  }, 120_000);

  it('machine, hang_up: the call ends after the verdict without the agent saying a word', async () => {
    const { sid, restCall } = await place(MACHINE, { action: 'hang_up' });
    const call = restCall.call!;
    const closed = await call.closed;
    expect(closed.by).toBe('server');
    expect(restCall.amd?.answeredBy).toBe('machine_end_beep');
    expect(call.audioOnsets).toEqual([]);
    const record = await api.waitForCall(sid, (c) => c.outcome !== null, 20_000);
    expect(record).toMatchObject({ outcome: 'voicemail', answered_by: 'machine_end_beep' });
  }, 120_000);

  it('human: the agent speaks first once detection says human', async () => {
    const { sid, restCall } = await place(HUMAN, { action: 'leave_message', message: MESSAGE });
    const call = restCall.call!;
    const onset = await call.waitForAudioOnset(call.streamStartedAtMs, 30_000);
    expect(restCall.amd?.answeredBy).toBe('human');
    expect(onset).toBeGreaterThan(restCall.amd!.atMs);
    await playedOut(call, 'the greeting');
    const opening = matches(heardSince(call, onset - 100), OPENING, VOICE);
    expect(opening.median).toBeGreaterThan(0.7);
    await call.sendAudio(speechPcm({ text: 'Thanks, bye.', sampleRate: 8000 }));
    await call.hangup();
    const record = await api.waitForCall(sid, (c) => c.outcome !== null, 20_000);
    expect(record).toMatchObject({ outcome: 'caller_hung_up', answered_by: 'human' });
  }, 120_000);
});
