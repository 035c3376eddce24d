import { base64ToMuLaw, muLawDecode } from '@callbridge/audio';
import { CloseCode, createStreamToken } from '@callbridge/twilio-media';
import { PHONE_ATTRIBUTES, RPC_ERROR_CODES, RPC_METHODS, RPC_OK } from '@callbridge/room-contract';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallLifecycle } from '../calls/call-lifecycle.js';
import { CallRegistry } from '../calls/registry.js';
import { loadConfig } from '../config.js';
import { PhoneRpcRefusal } from '../livekit/phone-line.js';
import { createMetrics } from '../metrics.js';
import { CallSession } from './call-session.js';
import {
  dtmfMessage,
  fakePhoneLines,
  FakeSocket,
  markMessage,
  mediaMessage,
  startMessage,
  stopMessage,
  tonePayload,
} from './test-fakes.js';

/** The rate the phone exchanges audio with LiveKit (PHONE_AUDIO_SAMPLE_RATE by default), one 20 ms frame of it. */
const LIVEKIT_RATE = 48_000;
const FRAME_SAMPLES = LIVEKIT_RATE / 50;
const SECRET = 's'.repeat(32);
const ALLOWED = '+15550001111';
const CONTEXT = {
  callSid: 'CA' + '1'.repeat(32),
  direction: 'inbound',
  from: '+15551230001',
  to: '+15559870000',
} as const;

/** Lets every promise the session chained settle (timers are fake; setImmediate is not). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(env: Record<string, string> = {}) {
  const config = loadConfig({
    ...env,
    TWILIO_AUTH_TOKEN: 'test-auth-token',
    STREAM_TOKEN_SECRET: SECRET,
    TRANSFER_ALLOWLIST: ALLOWED,
    AGENT_REJOIN_GRACE_S: '2',
    AGENT_REJOIN_TIMEOUT_S: '15',
    LIVEKIT_RECONNECT_TIMEOUT_S: '5',
  });
  const registry = new CallRegistry(5);
  const metrics = createMetrics();
  const log = pino({ level: 'silent' });
  const rooms = {
    createCallRoom: vi.fn(async () => undefined),
    dispatchAgent: vi.fn(async () => undefined),
    deleteRoom: vi.fn(async () => undefined),
    removeParticipant: vi.fn(async () => undefined),
    listRooms: vi.fn(async () => []),
    phoneToken: vi.fn(async () => 'phone-token'),
    agentStates: vi.fn(async () => []),
    participantIdentities: vi.fn(async () => []),
  };
  const lifecycle = new CallLifecycle({
    registry,
    rooms,
    metrics,
    recorder: { ended: async () => undefined },
    log,
  });
  const released: string[] = [];
  const releaseCall = lifecycle.releaseCall.bind(lifecycle);
  vi.spyOn(lifecycle, 'releaseCall').mockImplementation((call, outcome, ...rest) => {
    released.push(outcome);
    return releaseCall(call, outcome, ...rest);
  });
  const twilio = {
    canControlCalls: true,
    complete: vi.fn(async () => undefined),
  };
  const lines = fakePhoneLines();
  const call = lifecycle.answer(CONTEXT, 'call-x');
  const ws = new FakeSocket();
  /** What the registry held for Twilio when the socket was closed. */
  let endingAtClose: unknown;
  const close = ws.close.bind(ws);
  ws.close = (code, reason) => {
    endingAtClose ??= registry.hasEnding(CONTEXT.callSid)
      ? { ...registry.takeEnding(CONTEXT.callSid) }
      : null;
    close(code, reason);
  };
  const session = new CallSession(ws, {
    config,
    rooms,
    registry,
    metrics,
    log,
    twilio,
    lifecycle,
    newPhoneLine: lines.newPhoneLine,
  });
  const counter = async (
    name: 'rejected' | 'uplinkDropped' | 'framesIn' | 'agentRedispatches',
    label?: string,
  ) =>
    (await metrics[name].get()).values
      .filter((v) => label === undefined || Object.values(v.labels).includes(label))
      .reduce((sum, v) => sum + v.value, 0);
  const token = () => createStreamToken({ secret: SECRET, callSid: CONTEXT.callSid, ttlMs: 60_000 });
  /** `start` with a good token; resolves once the session asked for its phone line. */
  const start = async () => {
    ws.message(startMessage(CONTEXT.callSid, token()));
    await settle();
    const phone = lines.made[0];
    if (!phone) throw new Error('no phone line made after start');
    return phone;
  };
  /** `start`, the join finishes, the call is live. */
  const live = async () => {
    const phone = await start();
    phone.finishJoin();
    await settle();
    return phone;
  };
  return {
    session,
    ws,
    rooms,
    twilio,
    registry,
    released,
    lines,
    call,
    counter,
    start,
    token,
    live,
    endingAt: () => endingAtClose,
  };
}

/** Energy of the 440 Hz component relative to the whole signal (1 for a pure 440 Hz tone). */
function toneShare(pcm: Int16Array, rate: number): number {
  let re = 0;
  let im = 0;
  let energy = 0;
  for (let i = 0; i < pcm.length; i++) {
    const w = (2 * Math.PI * 440 * i) / rate;
    re += pcm[i]! * Math.cos(w);
    im += pcm[i]! * Math.sin(w);
    energy += pcm[i]! * pcm[i]!;
  }
  return energy === 0 ? 0 : (2 * (re * re + im * im)) / (pcm.length * energy);
}

describe('CallSession', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('at PHONE_AUDIO_SAMPLE_RATE=8000 joins at 8 kHz and converts no rate either way', async () => {
    const t = setup({ PHONE_AUDIO_SAMPLE_RATE: '8000' });
    const phone = await t.start();
    expect(phone.opts).toMatchObject({ sampleRate: 8000 });
    phone.finishJoin();
    await settle();
    // The caller's samples reach the line as μ-law decodes them, 160 a frame.
    const payload = tonePayload(1);
    t.ws.message(mediaMessage(1, payload));
    expect([...phone.pushed.at(-1)!]).toEqual([...muLawDecode(base64ToMuLaw(payload))]);
    // The agent's 8 kHz audio goes to Twilio as its own μ-law, frame for frame.
    phone.opts.events.onAgentState('speaking', 'agent-1');
    phone.opts.events.onAgentAudio(muLawDecode(base64ToMuLaw(tonePayload(2))), 8000, 1);
    const sent = t.ws.sentEvents('media').map((m) => (m.media as { payload: string }).payload);
    expect(sent).toEqual([tonePayload(2)]);
  });

  it('joins as the phone with its identity and SIP attributes, sends keys pressed while joining once, then carries caller audio', async () => {
    const t = setup();
    const phone = await t.start();
    expect(t.rooms.phoneToken).toHaveBeenCalledWith(
      'call-x',
      'phone-15551230001',
      expect.objectContaining({
        [PHONE_ATTRIBUTES.phoneNumber]: CONTEXT.from,
        [PHONE_ATTRIBUTES.trunkPhoneNumber]: CONTEXT.to,
        [PHONE_ATTRIBUTES.callId]: CONTEXT.callSid,
      }),
    );
    expect(phone.opts).toMatchObject({ token: 'phone-token', sampleRate: LIVEKIT_RATE });
    expect(phone.joins).toBe(1);
    expect(t.call.streamSid).toBe(startMessage(CONTEXT.callSid).streamSid);

    // Still joining: audio goes to the phone line, which holds it until an agent listens (the
    // caller's first words are not dropped); a key press waits.
    t.ws.message(mediaMessage(1));
    t.ws.message(dtmfMessage('5'));
    expect(phone.pushed).toHaveLength(1);
    expect(await t.counter('uplinkDropped')).toBe(0);
    expect(phone.dtmf).toEqual([]);

    phone.finishJoin();
    await settle();
    expect(phone.dtmf).toEqual(['5']);
    expect([...phone.rpc.keys()].sort()).toEqual(
      [
        RPC_METHODS.hangup,
        RPC_METHODS.playbackInterrupted,
        RPC_METHODS.transfer,
        RPC_METHODS.reportResult,
      ].sort(),
    );

    for (let chunk = 2; chunk < 12; chunk++) t.ws.message(mediaMessage(chunk));
    t.ws.message(mediaMessage(12, tonePayload(12, 0)));
    t.ws.message(dtmfMessage('#'));
    expect(phone.dtmf).toEqual(['5', '#']);
    expect(phone.pushed).toHaveLength(12);
    expect(await t.counter('framesIn')).toBe(12);
    // 20 ms at the line's rate each; the tone survives the uplink.
    expect(phone.pushed.every((pcm) => pcm.length === FRAME_SAMPLES)).toBe(true);
    const tone = new Int16Array(FRAME_SAMPLES * 8);
    phone.pushed.slice(3, 11).forEach((pcm, i) => tone.set(pcm, i * FRAME_SAMPLES));
    expect(toneShare(tone, LIVEKIT_RATE)).toBeGreaterThan(0.9);
    const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((s, v) => s + v * v, 0) / pcm.length);
    expect(rms(tone)).toBeGreaterThan(3000);
    expect(rms(phone.pushed[11]!.subarray(FRAME_SAMPLES / 2))).toBeLessThan(100);
    expect(t.released).toEqual([]);
  });

  it('ends with caller_hung_up once on stop, recording the ending before the socket closes', async () => {
    const t = setup();
    const phone = await t.live();
    t.ws.message(stopMessage(CONTEXT.callSid));
    t.ws.message(stopMessage(CONTEXT.callSid));
    await settle();
    expect(t.released).toEqual(['caller_hung_up']);
    expect(t.endingAt()).toMatchObject({ outcome: 'caller_hung_up' });
    expect(t.ws.closedWith?.code).toBe(CloseCode.normal);
    expect(phone.leaves).toHaveLength(1);
    expect(t.rooms.deleteRoom).toHaveBeenCalledTimes(1);
    expect(t.registry.get(CONTEXT.callSid)).toBeUndefined();
  });

  it('ends as stream_dropped when the socket closes while joining, and leaves the late join and deletes the room again', async () => {
    const t = setup();
    const phone = await t.start();
    t.ws.drop();
    await settle();
    expect(t.released).toEqual(['stream_dropped']);
    expect(t.rooms.deleteRoom).toHaveBeenCalledTimes(1);
    phone.finishJoin();
    await settle();
    expect(phone.leaves.length).toBeGreaterThanOrEqual(2);
    expect(t.rooms.deleteRoom).toHaveBeenCalledTimes(2);
    expect(phone.rpc.size).toBe(0);
    expect(t.released).toEqual(['stream_dropped']);
  });

  it('makes no phone line for a socket that closes before start, and releases nothing', async () => {
    const t = setup();
    t.ws.drop();
    await settle();
    expect(t.lines.made).toHaveLength(0);
    expect(t.released).toEqual([]);
    expect(t.registry.get(CONTEXT.callSid)).toBeDefined();
  });

  it('refuses a start with a bad token, closing the stream without touching the call', async () => {
    const t = setup();
    t.ws.message(startMessage(CONTEXT.callSid, 'not-a-token'));
    await settle();
    expect(t.ws.closedWith?.code).toBe(CloseCode.policyViolation);
    expect(await t.counter('rejected', 'stream_token_malformed')).toBe(1);
    expect(t.lines.made).toHaveLength(0);
    expect(t.call.streamSid).toBeUndefined();
  });

  it('counts bad messages and closes a stream that sends too many, ending the call as protocol_error', async () => {
    const t = setup();
    await t.live();
    for (let i = 0; i < 49; i++) t.ws.message(markMessage('m', 'MZ' + '9'.repeat(32)));
    expect(t.ws.closedWith).toBeUndefined();
    t.ws.message('{not json');
    await settle();
    expect(await t.counter('rejected', 'wrong_stream_sid')).toBe(49);
    expect(t.ws.closedWith?.code).toBe(CloseCode.policyViolation);
    expect(t.released).toEqual(['protocol_error']);
  });

  it('ends only its own call (1011) when a handler throws', async () => {
    const t = setup();
    const phone = await t.live();
    phone.opts.events.onAgentAudio(null as unknown as Int16Array, LIVEKIT_RATE, 1);
    await settle();
    expect(t.ws.closedWith?.code).toBe(1011);
    expect(t.released).toEqual(['failed']);
    expect(await t.counter('rejected', 'internal_error')).toBe(1);
  });

  it('re-dispatches an agent after the grace period and ends as agent_lost when none comes back', async () => {
    const t = setup();
    const phone = await t.live();
    phone.agentJoins('agent-1');
    phone.agentJoins('agent-2');
    phone.agentUnreachable('agent-1');
    phone.agentLeaves('agent-2');
    await vi.advanceTimersByTimeAsync(1_999);
    expect(t.rooms.dispatchAgent).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.rooms.removeParticipant).toHaveBeenCalledWith('call-x', 'agent-1');
    expect(t.rooms.dispatchAgent).toHaveBeenCalledWith(
      'call-x',
      'callbridge-agent',
      expect.objectContaining({ callSid: CONTEXT.callSid, resumed: true }),
    );
    expect(await t.counter('agentRedispatches')).toBe(1);
    expect(t.released).toEqual([]);
    await vi.advanceTimersByTimeAsync(13_000);
    await settle();
    expect(t.released).toEqual(['agent_lost']);
  });

  it('keeps the call when a new agent joins within the grace period', async () => {
    const t = setup();
    const phone = await t.live();
    phone.agentJoins('agent-1');
    phone.agentLeaves('agent-1');
    await vi.advanceTimersByTimeAsync(1_000);
    phone.agentJoins('agent-2');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.rooms.dispatchAgent).not.toHaveBeenCalled();
    expect(t.released).toEqual([]);
  });

  it('ends as agent_hung_up on the hangup RPC, answering first and completing the call through Twilio', async () => {
    const t = setup();
    const phone = await t.live();
    const answer = await phone.rpc.get(RPC_METHODS.hangup)!({ callerIdentity: 'agent-1', payload: '' });
    expect(JSON.parse(answer)).toEqual(RPC_OK);
    expect(t.released).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    expect(t.released).toEqual(['agent_hung_up']);
    expect(t.twilio.complete).toHaveBeenCalledWith(CONTEXT.callSid);
  });

  it('relays a machine detection verdict known at join in the attributes, and one arriving mid-call as a change', async () => {
    const t = setup();
    t.call.answeredBy = 'human';
    const phone = await t.live();
    expect(t.rooms.phoneToken).toHaveBeenCalledWith(
      'call-x',
      expect.any(String),
      expect.objectContaining({ [PHONE_ATTRIBUTES.answeredBy]: 'human' }),
    );
    expect(phone.attributeChanges).toEqual([]);
    t.call.onAnsweredBy?.('machine_end_beep');
    expect(phone.attributeChanges).toEqual([{ [PHONE_ATTRIBUTES.answeredBy]: 'machine_end_beep' }]);
  });

  it('relays a verdict that came while the phone was joining once it is live', async () => {
    const t = setup();
    const phone = await t.start();
    t.call.answeredBy = 'machine_end_silence'; // /twilio/amd before the join finished
    phone.finishJoin();
    await settle();
    expect(phone.attributeChanges).toEqual([{ [PHONE_ATTRIBUTES.answeredBy]: 'machine_end_silence' }]);
  });

  it('ends as voicemail when the agent hangs up after a machine verdict', async () => {
    const t = setup();
    const phone = await t.live();
    t.call.onAnsweredBy?.('machine_end_beep');
    t.call.answeredBy = 'machine_end_beep';
    await phone.rpc.get(RPC_METHODS.hangup)!({ callerIdentity: 'agent-1', payload: '' });
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    expect(t.released).toEqual(['voicemail']);
  });

  it('ends as room_deleted when the room is deleted through the server API (a LiveKit SIP hang-up), completing the call through Twilio', async () => {
    const t = setup();
    const phone = await t.live();
    phone.roomDeleted();
    await settle();
    expect(t.released).toEqual(['room_deleted']);
    expect(t.twilio.complete).toHaveBeenCalledWith(CONTEXT.callSid);
  });

  it('announces sip.callStatus hangup when it leaves, as LiveKit SIP does', async () => {
    const t = setup();
    const phone = await t.live();
    t.ws.message(stopMessage(CONTEXT.callSid));
    await settle();
    expect(phone.leaves.map((l) => l.callStatus)).toEqual(['hangup']);
  });

  it('refuses a transfer outside the allow-list or with a bad payload; inside it ends the stream but keeps the call and the phone', async () => {
    const t = setup();
    const phone = await t.live();
    const transfer = phone.rpc.get(RPC_METHODS.transfer)!;
    const refused = await transfer({
      callerIdentity: 'agent-1',
      payload: JSON.stringify({ to: '+15559999999' }),
    }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(PhoneRpcRefusal);
    expect((refused as PhoneRpcRefusal).code).toBe(RPC_ERROR_CODES.refused);
    const bad = await transfer({ callerIdentity: 'agent-1', payload: 'nope' }).catch((err: unknown) => err);
    expect((bad as PhoneRpcRefusal).code).toBe(RPC_ERROR_CODES.badPayload);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.ws.closedWith).toBeUndefined();

    const summary = 'Ana Ruiz, order 1234, wants a refund.';
    expect(
      JSON.parse(
        await transfer({ callerIdentity: 'agent-1', payload: JSON.stringify({ to: ALLOWED, summary }) }),
      ),
    ).toEqual(RPC_OK);
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    // The stream ends (Twilio then asks what next and dials); the call, its room and phone stay.
    expect(t.ws.closedWith).toEqual({ code: CloseCode.normal, reason: 'transfer' });
    expect(t.released).toEqual([]);
    expect(phone.leaves).toEqual([]);
    expect(t.registry.get(CONTEXT.callSid)).toBe(t.call);
    expect(t.call.streamSid).toBeUndefined();
    expect(t.call.transfer).toEqual({ attempt: 1, to: ALLOWED, summary, state: 'dialing' });
    expect(JSON.parse(phone.attributeChanges.at(-1)![PHONE_ATTRIBUTES.transfer]!)).toEqual({
      attempt: 1,
      state: 'dialing',
      to: ALLOWED,
    });
    // No second transfer while this one dials.
    const again = await transfer({
      callerIdentity: 'agent-1',
      payload: JSON.stringify({ to: ALLOWED }),
    }).catch((err: unknown) => err);
    expect((again as PhoneRpcRefusal).code).toBe(RPC_ERROR_CODES.refused);
  });

  /** A second stream for the call, as a failed transfer's <Connect><Stream> opens it. */
  function secondStream(t: ReturnType<typeof setup>, sid: string): FakeSocket {
    const ws = new FakeSocket();
    new CallSession(ws, {
      ...{ config: loadConfig({ STREAM_TOKEN_SECRET: SECRET, TWILIO_AUTH_TOKEN: 'x' }), rooms: t.rooms },
      ...{ registry: t.registry, metrics: createMetrics(), log: pino({ level: 'silent' }), twilio: t.twilio },
      lifecycle: new CallLifecycle({
        registry: t.registry,
        rooms: t.rooms,
        metrics: createMetrics(),
        recorder: { ended: async () => undefined },
        log: pino({ level: 'silent' }),
      }),
      newPhoneLine: t.lines.newPhoneLine,
    });
    ws.message(startMessage(CONTEXT.callSid, t.token(), sid));
    return ws;
  }

  it('does not replace an agent that leaves while the transfer rings, but does once the caller is back', async () => {
    const t = setup();
    const phone = await t.live();
    phone.agentJoins('agent-1');
    await phone.rpc.get(RPC_METHODS.transfer)!({
      callerIdentity: 'agent-1',
      payload: JSON.stringify({ to: ALLOWED }),
    });
    await settle();
    phone.agentLeaves('agent-1');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(t.rooms.dispatchAgent).not.toHaveBeenCalled();
    expect(t.released).toEqual([]);
    t.call.transfer!.state = 'failed';
    t.call.transfer!.reason = 'busy';
    secondStream(t, 'MZ' + '3'.repeat(32));
    await settle();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.rooms.dispatchAgent).toHaveBeenCalledWith(
      'call-x',
      'callbridge-agent',
      expect.objectContaining({ callSid: CONTEXT.callSid, resumed: true }),
    );
  });

  it("hands a failed transfer's new stream to the session that carried the call: same phone, new audio path", async () => {
    const t = setup();
    const phone = await t.live();
    await phone.rpc.get(RPC_METHODS.transfer)!({
      callerIdentity: 'agent-1',
      payload: JSON.stringify({ to: ALLOWED }),
    });
    await settle();
    const pushedBefore = phone.pushed.length;
    // What the <Dial action> handler does when nobody answered.
    t.call.transfer!.state = 'failed';
    t.call.transfer!.reason = 'no-answer';
    const ws2 = new FakeSocket();
    new CallSession(ws2, {
      ...{ config: loadConfig({ STREAM_TOKEN_SECRET: SECRET, TWILIO_AUTH_TOKEN: 'x' }), rooms: t.rooms },
      ...{ registry: t.registry, metrics: createMetrics(), log: pino({ level: 'silent' }), twilio: t.twilio },
      lifecycle: new CallLifecycle({
        registry: t.registry,
        rooms: t.rooms,
        metrics: createMetrics(),
        recorder: { ended: async () => undefined },
        log: pino({ level: 'silent' }),
      }),
      newPhoneLine: t.lines.newPhoneLine,
    });
    const sid2 = 'MZ' + '2'.repeat(32);
    const token2 = createStreamToken({ secret: SECRET, callSid: CONTEXT.callSid, ttlMs: 60_000 });
    ws2.message(startMessage(CONTEXT.callSid, token2, sid2));
    await settle();
    expect(t.lines.made).toHaveLength(1); // no second phone: the same one in the same room
    expect(t.call.streamSid).toBe(sid2);
    expect(phone.attributeChanges.at(-1)).toMatchObject({ [PHONE_ATTRIBUTES.streamSid]: sid2 });
    expect(JSON.parse(phone.attributeChanges.at(-1)![PHONE_ATTRIBUTES.transfer]!)).toEqual({
      attempt: 1,
      state: 'failed',
      to: ALLOWED,
      reason: 'no-answer',
    });
    ws2.message(mediaMessage(1, tonePayload(1), sid2));
    expect(phone.pushed.length).toBe(pushedBefore + 1);
    // The caller hanging up on the new stream ends the call once, through the first session.
    ws2.message(stopMessage(CONTEXT.callSid, sid2));
    await settle();
    expect(t.released).toEqual(['caller_hung_up']);
    expect(phone.leaves.map((l) => l.callStatus)).toEqual(['hangup']);
  });

  it("answers the agent's playbackInterrupted with what the caller heard, clearing Twilio's playback once", async () => {
    const t = setup();
    const phone = await t.live();
    const interrupted = phone.rpc.get(RPC_METHODS.playbackInterrupted)!;
    const ask = async () =>
      JSON.parse(
        await interrupted({ callerIdentity: 'agent-1', payload: JSON.stringify({ playedMs: 900 }) }),
      );
    // Nothing played yet: nothing to cut.
    expect(await ask()).toEqual({ cut: false });
    // The agent speaks a second of tone; Twilio echoes the marks up to 400 ms of it.
    phone.opts.events.onAgentState('speaking', 'agent-1');
    const tone = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < tone.length; i++)
      tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / LIVEKIT_RATE));
    for (let i = 0; i < 50; i++) phone.opts.events.onAgentAudio(tone, LIVEKIT_RATE, 1);
    const marks = t.ws.sentEvents('mark').map((m) => (m.mark as { name: string }).name);
    expect(marks.slice(0, 2)).toEqual(['heard-1-0', 'heard-1-100']);
    for (const name of ['heard-1-0', 'heard-1-100', 'heard-1-200', 'heard-1-300', 'heard-1-400'])
      t.ws.message(markMessage(name));
    const reply = await ask();
    expect(reply).toMatchObject({ cut: true, heardMs: 400 });
    expect(reply.sentMs).toBeGreaterThanOrEqual(960);
    expect(t.ws.sentEvents('clear')).toHaveLength(1);
    // Asked again (or cleared already by the bridge's own barge-in check): the same answer, no second clear.
    expect(await ask()).toEqual(reply);
    expect(t.ws.sentEvents('clear')).toHaveLength(1);
  });
});
