/**
 * Warm transfer through the real bridge, a real livekit-server and the Twilio simulator's `<Dial>`:
 * the agent (a stand-in participant) calls the phone's `transfer` RPC with a summary; the human
 * hears it in the whisper and accepts (the call's record ends `transferred`), or does not answer /
 * is busy / declines, and the caller comes back on a new stream into the same room, where the agent
 * is told why and is heard again.
 */
import { readTransferState, type TransferState } from '@callbridge/room-contract';
import { rmsDbfs } from '@callbridge/testkit/audio-fixtures';
import type { ConnectedParticipant } from '@callbridge/testkit/livekit';
import { postSignedForm, type DialCallee } from '@callbridge/testkit/twilio';
import { RoomEvent, type RemoteParticipant } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { AUTH_TOKEN, bridgeOnLiveKit, metricValue, startTestBridge, waitFor } from './_harness.js';
import { callPhone, joinStandIn, sayToCaller } from './_stand-in.js';

const HUMAN = '+15550001111';
const SUMMARY = 'Ana Ruiz is calling about a refund for order 1234; she already has the tracking number.';
// A short ring keeps the no-answer case quick; Twilio counts it in whole seconds.
const env = bridgeOnLiveKit({ TRANSFER_ALLOWLIST: HUMAN, TRANSFER_RING_TIMEOUT_S: '2' });

/**
 * A call whose transfers reach a callee who behaves like `callee`, with the stand-in agent in its
 * room. It joins as an agent: the bridge would otherwise see no agent in the room and, on a slow
 * run, dispatch one (there is no worker here) and end the call `agent_lost`.
 */
async function callWithAgent(callee: DialCallee, tb = env.tb) {
  const call = await tb.placeCall({ dialCallees: () => callee });
  const standIn = await joinStandIn(env.lk, call.callSid, { kind: 'agent' });
  const phone = await waitFor('phone participant', () =>
    [...standIn.agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
  );
  return { call, standIn, phone, transfers: watchTransfer(standIn.agent, phone.identity) };
}

/** Every `callbridge.transfer` state the agent sees on the phone participant, in order. */
function watchTransfer(agent: ConnectedParticipant, phoneIdentity: string): TransferState[] {
  const seen: TransferState[] = [];
  agent.room.on(RoomEvent.ParticipantAttributesChanged, (_changed, p) => {
    if (p.identity !== phoneIdentity) return;
    const state = readTransferState(p.attributes);
    if (state && JSON.stringify(state) !== JSON.stringify(seen.at(-1))) seen.push(state);
  });
  return seen;
}

/**
 * The agent's `transfer` RPC. The phone is visible in the room a moment before the bridge has
 * registered its methods (it publishes its track first), so a call that early is retried.
 */
function requestTransfer(
  agent: ConnectedParticipant,
  phone: RemoteParticipant,
  body: object,
): Promise<string> {
  return callPhone(agent, phone.identity, 'transfer', JSON.stringify(body));
}

async function statusesOf(callSid: string): Promise<string[]> {
  return (await (await env.tb.bridge.store).statusEvents(callSid)).map((e) => e.status);
}

describe('warm transfer', () => {
  it('whispers the agent summary to the human, who accepts: the call is theirs and its record ends transferred', async () => {
    const accepted = () => metricValue(env.tb.bridge, 'callbridge_transfers_total', { result: 'accepted' });
    const acceptedBefore = await accepted();
    const { call, standIn, phone, transfers } = await callWithAgent({
      kind: 'human',
      ringMs: 300,
      keys: '1',
      talkMs: 500,
    });
    const hungUp = new Promise<void>((resolve) =>
      standIn.agent.room.on(RoomEvent.ParticipantAttributesChanged, (changed, p) => {
        if (p.identity === phone.identity && changed['sip.callStatus'] === 'hangup') resolve();
      }),
    );
    expect(JSON.parse(await requestTransfer(standIn.agent, phone, { to: HUMAN, summary: SUMMARY }))).toEqual({
      ok: true,
    });
    const end = await call.ended;
    expect(end.status).toBe('completed');
    expect(call.dials).toHaveLength(1);
    const dial = call.dials[0]!;
    expect(dial).toMatchObject({ number: HUMAN, status: 'completed', bridged: true, keysPressed: '1' });
    // The human heard the summary first, then the prompt; the whisper request was signed and accepted.
    expect(dial.whisperSaid[0]).toBe(SUMMARY);
    expect(dial.whisperSaid[1]).toMatch(/Press 1/);
    expect(dial.calleeRequests.map((r) => r.httpStatus)).toEqual([200, 200]);
    // The agent saw the transfer dial and connect before the phone hung up and left.
    await hungUp;
    expect(transfers.map((t) => t.state)).toEqual(['dialing', 'connected']);
    expect(call.streamSids).toHaveLength(1);
    const store = await env.tb.bridge.store;
    await waitFor('record ended', async () => (await store.get(call.callSid))?.outcome != null);
    expect(await store.get(call.callSid)).toMatchObject({
      outcome: 'transferred',
      outcomeReason: 'transfer accepted',
    });
    expect(await statusesOf(call.callSid)).toEqual(
      expect.arrayContaining(['stream-started', 'transfer-dialing', 'transfer-accepted']),
    );
    await waitFor(
      'room deleted',
      async () => (await env.rooms.listRooms([`call-${call.callSid}`])).length === 0,
    );
    expect(env.tb.bridge.registry.get(call.callSid)).toBeUndefined();
    expect((await accepted()) - acceptedBefore).toBe(1);
    await standIn.agent.disconnect();
  });

  it('with TRANSFER_CONFIRM=false connects the human once the summary has played, without asking for a key', async () => {
    const tb = await startTestBridge(env.lk, { TRANSFER_ALLOWLIST: HUMAN, TRANSFER_CONFIRM: 'false' });
    try {
      const call = await tb.placeCall({ dialCallees: () => ({ kind: 'human', ringMs: 200, keys: null }) });
      const standIn = await joinStandIn(env.lk, call.callSid, { kind: 'agent' });
      const phone = await waitFor('phone participant', () =>
        [...standIn.agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-')),
      );
      await requestTransfer(standIn.agent, phone, { to: HUMAN, summary: SUMMARY });
      await call.ended;
      expect(call.dials[0]).toMatchObject({ status: 'completed', bridged: true, keysPressed: null });
      expect(call.dials[0]!.whisperSaid).toEqual([SUMMARY]);
      const store = await tb.bridge.store;
      await waitFor('record ended', async () => (await store.get(call.callSid))?.outcome != null);
      expect((await store.get(call.callSid))?.outcome).toBe('transferred');
      await standIn.agent.disconnect();
    } finally {
      await tb.close();
    }
  });

  it('ends the call when the caller hangs up while the human is still ringing', async () => {
    // Its own bridge with a long ring, so the caller hangs up well before the Dial's timeout.
    const tb = await startTestBridge(env.lk, { TRANSFER_ALLOWLIST: HUMAN, TRANSFER_RING_TIMEOUT_S: '120' });
    const { call, standIn, phone, transfers } = await callWithAgent({ kind: 'human', ringMs: 600_000 }, tb);
    try {
      await requestTransfer(standIn.agent, phone, { to: HUMAN, summary: SUMMARY });
      await waitFor('the human ringing', () => call.dialed.length > 0);
      // The state reaches the agent through livekit-server; the simulator's dial is in-process.
      await waitFor('the agent told the human is ringing', () => transfers.length > 0);
      expect(transfers.map((t) => t.state)).toEqual(['dialing']);
      await call.hangup();
      const store = await tb.bridge.store;
      await waitFor('record ended', async () => (await store.get(call.callSid))?.outcome != null);
      expect((await store.get(call.callSid))?.outcome).toBe('caller_hung_up');
      await waitFor(
        'room deleted',
        async () => (await env.rooms.listRooms([`call-${call.callSid}`])).length === 0,
      );
      expect(tb.bridge.registry.get(call.callSid)).toBeUndefined();
    } finally {
      await standIn.agent.disconnect();
      await call.hangup();
      await tb.close();
    }
  });

  it('brings the caller back to the same room on a new stream when nobody answers; the agent is told why and heard again', async () => {
    const { call, standIn, phone, transfers } = await callWithAgent({ kind: 'no-answer' });
    const firstStream = call.streamSids[0];
    const noAnswers = () => metricValue(env.tb.bridge, 'callbridge_transfers_total', { result: 'no-answer' });
    const noAnswersBefore = await noAnswers();
    try {
      await requestTransfer(standIn.agent, phone, { to: HUMAN, summary: SUMMARY });
      const failed = await waitFor('the agent told the transfer failed', () =>
        transfers.find((t) => t.state === 'failed'),
      );
      expect(failed).toEqual({ attempt: 1, state: 'failed', to: HUMAN, reason: 'no-answer' });
      expect(call.dials[0]).toMatchObject({ status: 'no-answer', bridged: false, whisperSaid: [] });
      const secondStream = await call.waitForStream(2);
      expect(secondStream).not.toBe(firstStream);
      // The same phone participant, still in the same room with the agent, now on the new stream.
      await waitFor('phone attributes name the new stream', () =>
        phone.attributes['callbridge.streamSid'] === secondStream ? true : undefined,
      );
      expect(standIn.agent.room.remoteParticipants.get(phone.identity)).toBe(phone);

      // The agent answers and the caller hears it on the new stream.
      // (No utterance played on the first stream: the end mark echoed is this one's.)
      const { heard, match } = await sayToCaller(
        standIn,
        call,
        'Sorry, nobody answered. Can I take a message?',
      );
      expect(rmsDbfs(heard)).toBeGreaterThan(-45);
      expect(match.median).toBeGreaterThan(0.75);
      expect(match.inOrder).toBe(true);
      expect(call.violations).toEqual([]);

      const store = await env.tb.bridge.store;
      expect((await store.get(call.callSid))?.outcome).toBeNull();
      expect(await statusesOf(call.callSid)).toEqual(
        expect.arrayContaining(['transfer-dialing', 'transfer-failed']),
      );
      expect((await statusesOf(call.callSid)).filter((s) => s === 'stream-started')).toHaveLength(2);
      expect((await noAnswers()) - noAnswersBefore).toBe(1);
    } finally {
      await standIn.agent.disconnect();
      await call.hangup();
    }
    const store = await env.tb.bridge.store;
    await waitFor('record ended', async () => (await store.get(call.callSid))?.outcome != null);
    expect((await store.get(call.callSid))?.outcome).toBe('caller_hung_up');
  });

  it.each([
    ['busy', { kind: 'busy' }],
    ['declined', { kind: 'human', ringMs: 200, keys: '2' }],
    ['declined', { kind: 'human', ringMs: 200, hangsUpOnWhisper: true }],
  ] as const)('reports %s to the agent and reconnects the caller', async (reason, callee) => {
    const { call, standIn, phone, transfers } = await callWithAgent(callee);
    try {
      await requestTransfer(standIn.agent, phone, { to: HUMAN, summary: SUMMARY });
      await call.waitForStream(2);
      const failed = await waitFor('the agent told why', () => transfers.find((t) => t.state === 'failed'));
      expect(failed.reason).toBe(reason);
      // A second transfer of the same call is a new attempt (its failure is a change the agent sees).
      await requestTransfer(standIn.agent, phone, { to: HUMAN });
      await call.waitForStream(3);
      await waitFor('second failure', () => transfers.find((t) => t.state === 'failed' && t.attempt === 2));
      expect(call.dials.map((d) => d.number)).toEqual([HUMAN, HUMAN]);
    } finally {
      await standIn.agent.disconnect();
      await call.hangup();
    }
  });

  it('refuses whisper, answer and dial-action requests Twilio did not sign, and stale ones for another attempt', async () => {
    const { call, standIn, phone } = await callWithAgent({ kind: 'human', ringMs: 60_000 });
    try {
      await requestTransfer(standIn.agent, phone, { to: HUMAN, summary: SUMMARY });
      await waitFor('the human ringing', () => call.dialed.length > 0);
      const leg = {
        AccountSid: env.tb.sim.accountSid,
        ApiVersion: '2010-04-01',
        CallSid: `CA${'7'.repeat(32)}`,
        ParentCallSid: call.callSid,
        CallStatus: 'in-progress',
        Direction: 'outbound-dial',
        From: '+15551230001',
        To: HUMAN,
      };
      const post = (
        path: string,
        params: Record<string, string>,
        signature: 'valid' | 'forged' | 'missing',
      ) => postSignedForm({ url: `${env.tb.publicUrl}${path}`, authToken: AUTH_TOKEN, params, signature });
      const current = `call=${call.callSid}&attempt=1`;
      for (const path of [
        '/twilio/transfer/whisper',
        '/twilio/transfer/answer',
        '/twilio/transfer/dial-ended',
      ]) {
        expect(await post(`${path}?${current}`, leg, 'forged')).toMatchObject({ ok: true, status: 403 });
        expect(await post(`${path}?${current}`, leg, 'missing')).toMatchObject({ ok: true, status: 400 });
      }
      // Signed, but for an attempt this call never made: the human's leg is hung up, nothing else.
      const stale = await post(
        `/twilio/transfer/answer?call=${call.callSid}&attempt=2`,
        { ...leg, Digits: '1' },
        'valid',
      );
      expect(stale).toMatchObject({ ok: true, status: 200 });
      expect(stale.ok && stale.body).toContain('<Hangup/>');
      expect(env.tb.bridge.registry.get(call.callSid)?.transfer?.state).toBe('dialing');
      // Signed, for the current attempt: the whisper carries the summary, escaped.
      const whisper = await post(`/twilio/transfer/whisper?${current}`, leg, 'valid');
      expect(whisper.ok && whisper.body).toContain('<Say>Ana Ruiz is calling about a refund');
    } finally {
      await standIn.agent.disconnect();
      await call.hangup();
    }
  });

  it('refuses a transfer target outside TRANSFER_ALLOWLIST without touching the call', async () => {
    const { call, standIn, phone } = await callWithAgent({ kind: 'human' });
    try {
      const refused = await requestTransfer(standIn.agent, phone, { to: '+15559999999' }).catch(
        (err: { code?: number; message?: string }) => err,
      );
      expect(refused).toMatchObject({ code: 1403 });
      expect(call.dials).toEqual([]);
      expect(call.streamSids).toHaveLength(1);
      expect(env.tb.bridge.registry.get(call.callSid)?.streamSid).toBe(call.streamSids[0]);
    } finally {
      await standIn.agent.disconnect();
      await call.hangup();
    }
  });
});
