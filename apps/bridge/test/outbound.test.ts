import { dispose } from '@livekit/rtc-node';
import { connectParticipant, startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeTwilioSignature } from '@callbridge/twilio-media';
import { AUTH_TOKEN, waitFor } from './_harness.js';
import { callPhone } from './_stand-in.js';
import { OUR_NUMBER, readSse, startOutboundBridge } from './_records-harness.js';

const CALLEE = '+15554440001';
const BUSY = '+15554440002';
const NO_ANSWER = '+15554440003';
const FAILS = '+15554440004';

let lk: LiveKitServer;
let ob: Awaited<ReturnType<typeof startOutboundBridge>>;

beforeAll(async () => {
  lk = await startLiveKitServer();
  ob = await startOutboundBridge(lk, {
    callees: ({ to }) =>
      to === BUSY
        ? { outcome: 'busy' }
        : to === NO_ANSWER
          ? { outcome: 'no-answer' }
          : to === FAILS
            ? { outcome: 'failed' }
            : { answer: 'human', ringMs: 200 },
    // Synchronous detection here (its verdict comes with the webhook); voicemail.e2e covers async.
    env: { OUTBOUND_MACHINE_DETECTION: 'Enable', OUTBOUND_MACHINE_DETECTION_ASYNC: 'false' },
  });
}, 60_000);

afterAll(async () => {
  await ob?.close();
  await lk?.stop();
  await dispose();
});

describe('outbound calls through POST /api/calls', () => {
  it('places the call with the task in the dispatch metadata, and records transcript, tool calls and outcome', async () => {
    const { api, rest } = ob;
    const placed = await api.request('POST', '/api/calls', {
      to: CALLEE,
      task: 'Remind the patient of tomorrow 9 am appointment.',
      instructions: 'Be brief.',
      voice: 'marin',
      metadata: { patientId: 'P-17' },
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({
      direction: 'outbound',
      from: OUR_NUMBER,
      to: CALLEE,
      status: 'queued',
      outcome: null,
      task: 'Remind the patient of tomorrow 9 am appointment.',
      metadata: { patientId: 'P-17' },
    });
    const sid: string = placed.body.sid;

    // What Twilio was asked to do.
    const restCall = await rest.waitForCall((c) => c.request.callSid === sid && c.call !== null);
    expect(restCall.request).toMatchObject({
      to: CALLEE,
      from: OUR_NUMBER,
      url: `${ob.tb.publicUrl}/twilio/voice`,
      statusCallback: `${ob.tb.publicUrl}/twilio/status`,
      machineDetection: 'Enable',
    });
    expect(restCall.request.statusCallbackEvents).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    const sse = await readSse(`${ob.tb.publicUrl}/api/calls/${sid}/events`);
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream/);

    // The answered call runs like an inbound one: room, agent dispatch carrying the task.
    const room = `call-${sid}`;
    const dispatch = await waitFor('dispatch', () => ob.dispatches.find((d) => d.room === room));
    expect(dispatch.metadata).toEqual({
      callSid: sid,
      direction: 'outbound',
      from: OUR_NUMBER,
      to: CALLEE,
      task: 'Remind the patient of tomorrow 9 am appointment.',
      instructions: 'Be brief.',
      voice: 'marin',
      machineDetection: true,
      voicemail: { action: 'hang_up' },
    });

    // A stand-in agent publishes what LiveKit Agents would: transcripts of both sides, a tool call.
    const agent = await connectParticipant(lk, room, 'agent-standin');
    await agent.publishMicrophone();
    const phone = await waitFor('phone participant', () =>
      [...agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
    );
    const phoneTrack = await waitFor('phone track', () => [...phone.trackPublications.values()][0]?.sid);
    const agentTrack = [...agent.room.localParticipant!.trackPublications.values()][0]!.sid!;
    const lp = agent.room.localParticipant!;
    await lp.sendText('Hello, this is an AI assistant calling from the clinic about your appointment.', {
      topic: 'lk.transcription',
      attributes: {
        'lk.transcribed_track_id': agentTrack,
        'lk.transcription_final': 'false',
        'lk.segment_id': 's1',
      },
    });
    await lp.sendText('Oh hi', {
      topic: 'lk.transcription',
      attributes: {
        'lk.transcribed_track_id': phoneTrack,
        'lk.transcription_final': 'false',
        'lk.segment_id': 's2',
      },
    });
    await lp.sendText('Oh hi, yes I will be there.', {
      topic: 'lk.transcription',
      attributes: {
        'lk.transcribed_track_id': phoneTrack,
        'lk.transcription_final': 'true',
        'lk.segment_id': 's2',
      },
    });
    const t = Date.now();
    await lp.sendText(
      JSON.stringify({
        name: 'confirm_appointment',
        toolCallId: 'call_1',
        arguments: { confirmed: true },
        result: { ok: true },
        startedAt: t,
        endedAt: t + 5,
      }),
      { topic: 'callbridge.tool_calls' },
    );
    await lp.sendText('{"not":"a tool call"}', { topic: 'callbridge.tool_calls' });

    await waitFor('transcript and tool call recorded', async () => {
      const r = await api.request('GET', `/api/calls/${sid}`);
      return r.body.transcript.length === 2 && r.body.tool_calls.length === 1 ? r : undefined;
    });
    // The agent hangs up: RPC to the phone participant, which completes the call through the REST API.
    await callPhone(agent, phone.identity, 'hangup', '{"reason":"done"}');
    await agent.disconnect();
    // Ended by the bridge (its outcome) and by Twilio (its final status callback): both are async.
    const final = await api.waitForCall(
      sid,
      (c) =>
        c.outcome !== null &&
        c.status === 'completed' &&
        c.status_events.some((e: { status: string }) => e.status === 'completed'),
    );
    expect(final).toMatchObject({
      sid,
      status: 'completed',
      outcome: 'agent_hung_up',
      room,
      answered_by: 'human',
      transcript: [
        {
          speaker: 'agent',
          identity: 'agent-standin',
          text: 'Hello, this is an AI assistant calling from the clinic about your appointment.',
        },
        { speaker: 'caller', identity: phone.identity, text: 'Oh hi, yes I will be there.' },
      ],
      tool_calls: [
        {
          name: 'confirm_appointment',
          tool_call_id: 'call_1',
          arguments: { confirmed: true },
          result: { ok: true },
          error: null,
        },
      ],
    });
    expect(final.duration_ms).toBeGreaterThan(0);
    expect(final.stream_started_at).not.toBeNull();
    const statuses = final.status_events.map((e: { status: string }) => e.status);
    expect(statuses.slice(0, 5)).toEqual(['queued', 'initiated', 'ringing', 'in-progress', 'in-progress']);
    expect(statuses).toContain('stream-started');
    expect(statuses.at(-1)).toBe('completed');
    expect(await restCall.finished).toBe('completed');

    // The SSE stream pushed it all live and closed after `ended`.
    await sse.closed;
    const kinds = sse.events.map((e) => e.event);
    expect(kinds[0]).toBe('snapshot');
    expect(kinds).toContain('transcript');
    expect(kinds).toContain('tool_call');
    expect(kinds.at(-1)).toBe('ended');
    expect(sse.events.filter((e) => e.event === 'transcript').map((e) => e.data.speaker)).toEqual([
      'agent',
      'caller',
    ]);
    expect(sse.events.at(-1)!.data).toMatchObject({ sid, outcome: 'agent_hung_up' });
    const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    await waitFor('room deleted', async () => (await rooms.listRooms([room])).length === 0 || undefined);
  });

  it.each([
    [BUSY, 'busy', 'busy'],
    [NO_ANSWER, 'no-answer', 'no_answer'],
    [FAILS, 'failed', 'failed'],
  ])('records a call to %s that ends %s without answering', async (to, status, outcome) => {
    const placed = await ob.api.request('POST', '/api/calls', { to, task: 'Tell them the order shipped.' });
    expect(placed.status).toBe(201);
    const sse = await readSse(`${ob.tb.publicUrl}/api/calls/${placed.body.sid}/events`);
    const final = await ob.api.waitForCall(placed.body.sid, (c) => c.outcome !== null);
    expect(final).toMatchObject({
      status,
      outcome,
      outcome_reason: `twilio status ${status}`,
      room: null,
      stream_started_at: null,
    });
    expect(final.status_events.at(-1).status).toBe(status);
    await sse.closed;
    expect(sse.events.at(-1)).toMatchObject({ event: 'ended', data: { outcome } });
  });
});

describe('POST /twilio/amd', () => {
  const post = (form: Record<string, string>, signature: string | null) =>
    fetch(`${ob.tb.publicUrl}/twilio/amd`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature ? { 'x-twilio-signature': signature } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });
  const sign = (form: Record<string, string>) =>
    computeTwilioSignature(AUTH_TOKEN, `${ob.tb.publicUrl}/twilio/amd`, form);

  it('needs Twilio signature and a verdict Twilio sends; a good one is recorded with the call', async () => {
    const placed = await ob.api.request('POST', '/api/calls', { to: NO_ANSWER, task: 'x' });
    const sid: string = placed.body.sid;
    await ob.api.waitForCall(sid, (c) => c.outcome !== null);
    const form = { AccountSid: ob.rest.accountSid, CallSid: sid, AnsweredBy: 'machine_end_beep' };
    expect((await post(form, null)).status).toBe(400);
    expect((await post(form, sign({ ...form, AnsweredBy: 'human' }))).status).toBe(403);
    const bad = { ...form, AnsweredBy: 'robot' };
    const refused = await post(bad, sign(bad));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/AnsweredBy/);
    const good = { ...form, MachineDetectionDuration: '4210' };
    expect((await post(good, sign(good))).status).toBe(204);
    const record = await ob.api.waitForCall(sid, (c) =>
      c.status_events.some((e: { status: string }) => e.status === 'machine-detection'),
    );
    expect(record.answered_by).toBe('machine_end_beep');
    expect(record.status_events.at(-1)).toMatchObject({
      status: 'machine-detection',
      detail: 'machine_end_beep after 4210 ms',
    });
  });
});

describe('outbound guardrails', () => {
  it('refuses invalid requests and destinations outside OUTBOUND_ALLOWLIST with clear errors', async () => {
    const cases: [unknown, number, string, RegExp][] = [
      [{ to: '5554440001', task: 'x' }, 400, 'invalid_request', /to: to must be an E.164 number/],
      [{ to: CALLEE }, 400, 'invalid_request', /task/],
      [{ to: CALLEE, task: 'x', instruction: 'typo' }, 400, 'invalid_request', /instruction/],
      [{ to: CALLEE, task: 'x', voice: 'not a voice!' }, 400, 'invalid_request', /voice/],
      [
        { to: '+15553330000', task: 'x' },
        403,
        'destination_not_allowed',
        /\+15553330000 is not in OUTBOUND_ALLOWLIST/,
      ],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await ob.api.request('POST', '/api/calls', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toMatch(message);
    }
    const badJson = await ob.api.request('POST', '/api/calls', '{"to":');
    expect(badJson).toEqual({
      status: 400,
      body: { error: { code: 'invalid_json', message: 'the body is not valid JSON' } },
    });
  });

  it('enforces per-number and global rate limits, naming the setting to change', async () => {
    const limited = await startOutboundBridge(lk, {
      callees: () => ({ outcome: 'failed' }),
      env: { OUTBOUND_LIMIT_PER_NUMBER_HOUR: '2', OUTBOUND_LIMIT_GLOBAL_HOUR: '3' },
    });
    try {
      const place = (to: string) => limited.api.request('POST', '/api/calls', { to, task: 'ping' });
      expect((await place('+15554440011')).status).toBe(201);
      expect((await place('+15554440011')).status).toBe(201);
      const perNumber = await place('+15554440011');
      expect(perNumber.status).toBe(429);
      expect(perNumber.body.error).toEqual({
        code: 'rate_limited',
        message:
          'rate limit reached: 2 outbound calls to +15554440011 in the last hour (OUTBOUND_LIMIT_PER_NUMBER_HOUR=2); try again later',
      });
      expect((await place('+15554440012')).status).toBe(201);
      const global = await place('+15554440013');
      expect(global.status).toBe(429);
      expect(global.body.error.message).toMatch(
        /3 outbound calls in the last hour \(OUTBOUND_LIMIT_GLOBAL_HOUR=3\)/,
      );
      // Refused calls are not placed and leave no record.
      expect(limited.rest.calls.size).toBe(3);
      expect((await limited.api.request('GET', '/api/calls?direction=outbound')).body.calls).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('has outbound calls off without an allow-list, and reports Twilio refusing a call', async () => {
    const off = await startOutboundBridge(lk, { env: { OUTBOUND_ALLOWLIST: '' } });
    try {
      const res = await off.api.request('POST', '/api/calls', { to: CALLEE, task: 'x' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('outbound_off');
      expect(res.body.error.message).toMatch(/OUTBOUND_ALLOWLIST/);
    } finally {
      await off.close();
    }
    const wrongFrom = await startOutboundBridge(lk, { env: { OUTBOUND_FROM: '+15550000999' } });
    try {
      const res = await wrongFrom.api.request('POST', '/api/calls', { to: CALLEE, task: 'x' });
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: 'twilio_error' });
      expect(res.body.error.message).toMatch(/Invalid 'From' Phone Number.*21212/);
    } finally {
      await wrongFrom.close();
    }
  });
});
