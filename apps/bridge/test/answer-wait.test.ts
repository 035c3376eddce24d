// An inbound call rings (the voice webhook's reply is held) until the agent's session is up in the
// call's room, at most ANSWER_WAIT_FOR_AGENT_S: the greeting can then follow the answer at once.
import { randomBytes } from 'node:crypto';
import { connectParticipant, type ConnectedParticipant } from '@callbridge/testkit/livekit';
import { postStatusCallback, type SimulatedCall } from '@callbridge/testkit/twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH_TOKEN, bridgeOnLiveKit, waitFor } from './_harness.js';

// Long enough for a test participant to join on a loaded machine; the deadline test waits it out.
const WAIT_S = 4;
const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;
const stack = bridgeOnLiveKit({ ANSWER_WAIT_FOR_AGENT_S: String(WAIT_S) });
const agents: ConnectedParticipant[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.disconnect();
});

/** How many calls were answered after a wait that ended this way (the histogram's count). */
async function answered(readiness: string): Promise<number> {
  const { values } = await stack.tb.bridge.metrics.answerWaitSeconds.get();
  // A histogram's values carry their series name (`…_count`, `…_sum`, `…_bucket`).
  type Series = { value: number; metricName?: string; labels: Record<string, unknown> };
  const counts = (values as Series[]).filter(
    (v) => v.metricName === 'callbridge_answer_wait_seconds_count' && v.labels.readiness === readiness,
  );
  return counts.reduce((sum, v) => sum + v.value, 0);
}

/** Joins the call's room as an agent reporting `state`, once the bridge has created the room. */
async function agentIn(callSid: string, state: string): Promise<ConnectedParticipant> {
  const room = `call-${callSid}`;
  await waitFor('call room', async () => (await stack.rooms.listRooms([room])).length > 0);
  const agent = await connectParticipant(stack.lk, room, `agent-${callSid.slice(-6)}`, {
    'lk.agent.state': state,
  });
  agents.push(agent);
  return agent;
}

/** Places a call without waiting for it; `settled` turns true once the webhook was answered. */
function ring(callSid: string): { placing: Promise<SimulatedCall>; settled: () => boolean } {
  let done = false;
  const placing = stack.tb.placeCall({ callSid }).finally(() => (done = true));
  return { placing, settled: () => done };
}

describe('answering an inbound call once its agent is ready', () => {
  it('holds the answer while the agent initializes and answers once its session is up', async () => {
    const before = await answered('ready');
    const callSid = newCallSid();
    const { placing, settled } = ring(callSid);
    const agent = await agentIn(callSid, 'initializing');
    // The server shows the agent (what the bridge polls) while the call still rings.
    await waitFor('the agent listed in the room', async () =>
      (await stack.rooms.listParticipants(`call-${callSid}`)).some(
        (p) => p.attributes['lk.agent.state'] === 'initializing',
      ),
    );
    expect(settled()).toBe(false);
    const upAt = performance.now();
    await agent.room.localParticipant!.setAttributes({ 'lk.agent.state': 'listening' });
    const call = await placing;
    expect(call.streamSid).toBeTruthy();
    expect(call.webhookAnsweredAtMs).toBeGreaterThanOrEqual(upAt);
    expect(await answered('ready')).toBe(before + 1);
    await call.hangup();
  });

  it('answers at the deadline when no agent session comes up, and the call goes on', async () => {
    const before = await answered('timeout');
    const callSid = newCallSid();
    const { placing } = ring(callSid);
    await agentIn(callSid, 'initializing');
    const call = await placing;
    expect(call.webhookAnsweredAtMs - call.webhookSentAtMs).toBeGreaterThanOrEqual(WAIT_S * 1000);
    expect(call.streamSid).toBeTruthy();
    expect(await answered('timeout')).toBe(before + 1);
    await call.hangup();
  });

  it('hangs up instead of answering when the caller gave up while it rang', async () => {
    const callSid = newCallSid();
    const { placing } = ring(callSid);
    await waitFor('call room', async () => (await stack.rooms.listRooms([`call-${callSid}`])).length > 0);
    // The bridge ends a call on any final status; Twilio posts one when the caller hangs up.
    const status = await postStatusCallback({
      url: `${stack.tb.publicUrl}/twilio/status`,
      authToken: AUTH_TOKEN,
      call: { accountSid: stack.tb.sim.accountSid, callSid, from: '+15551230001', to: '+15559870000' },
      status: 'completed',
    });
    expect(status.ok && status.status).toBe(204);
    const call = await placing;
    expect(call.twiml?.summary.verbs).toEqual(['Hangup']);
    expect(call.streamSid).toBeFalsy();
    await waitFor(
      'the room deleted',
      async () => (await stack.rooms.listRooms([`call-${callSid}`])).length === 0,
    );
    expect(await answered('cancelled')).toBe(1);
  });
});
