import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../metrics.js';
import { AgentWatch } from './agent-watch.js';

const CALL = {
  callSid: 'CA' + '3'.repeat(32),
  room: 'call-y',
  direction: 'outbound',
  from: '+15559870000',
  to: '+15551230002',
} as const;

/** A watch over a room whose agents the test sets; endings and server calls are written down. */
function setup(call: ConstructorParameters<typeof AgentWatch>[0]['call'] = CALL) {
  const agents = { present: 1, unreachable: [] as string[] };
  const ended: string[] = [];
  const rooms = {
    dispatchAgent: vi.fn(async () => undefined),
    removeParticipant: vi.fn(async () => undefined),
  };
  let live = true;
  const history = [
    { speaker: 'agent', text: 'Hello, I am calling about your appointment.' },
    { speaker: 'caller', text: 'Yes, can we move it?' },
  ] as const;
  const watch = new AgentWatch({
    config: {
      agentName: 'test-agent',
      routes: undefined,
      agentRejoinGraceMs: 2_000,
      agentRejoinTimeoutMs: 15_000,
      livekitReconnectTimeoutMs: 5_000,
    },
    rooms,
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    call,
    phone: { agentCount: () => agents.present, unreachableAgents: () => agents.unreachable },
    isLive: () => live,
    // What the call record holds for an outbound call placed through the API.
    resumeFields: async () => ({ task: 'Confirm Tuesday', voice: 'ash', history: [...history] }),
    end: (outcome) => void ended.push(outcome),
  });
  return { watch, agents, ended, rooms, setLive: (v: boolean) => (live = v) };
}

/** Agent `gone` leaves the call with no agent left, and `back` joins `afterMs` later. */
function leaveThenJoin(t: ReturnType<typeof setup>, gone: string, afterMs: number, back: string): void {
  t.agents.present = 0;
  t.watch.agentGone(gone);
  vi.advanceTimersByTime(afterMs);
  t.agents.present = 1;
  t.watch.agentBack(back);
}

describe('AgentWatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('re-dispatches the agent of the call’s route, with its persona under the request’s fields', async () => {
    const route = {
      name: 'sales',
      agent: 'sales-agent',
      instructions: 'You sell.',
      voice: 'cedar',
      tools: [],
    };
    const t = setup({ ...CALL, route });
    t.agents.present = 0;
    t.watch.agentGone('agent-old');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.rooms.dispatchAgent).toHaveBeenCalledWith(
      'call-y',
      'sales-agent',
      expect.objectContaining({
        route: 'sales',
        persona: 'You sell.',
        tools: [],
        voice: 'ash',
        resumed: true,
      }),
    );
  });

  it('does nothing while an agent is still there', () => {
    const t = setup();
    t.watch.agentGone('agent-old');
    vi.advanceTimersByTime(60_000);
    expect(t.rooms.dispatchAgent).not.toHaveBeenCalled();
    expect(t.ended).toEqual([]);
  });

  it('re-dispatches after the grace period (taking out unreachable agents), then gives up', async () => {
    const t = setup();
    t.agents.present = 0;
    t.agents.unreachable = ['agent-old'];
    t.watch.agentGone('agent-old');
    await vi.advanceTimersByTimeAsync(1_999);
    expect(t.rooms.dispatchAgent).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(t.rooms.removeParticipant).toHaveBeenCalledWith('call-y', 'agent-old');
    // Everything the first dispatch carried, the conversation so far, and the re-dispatch flag.
    expect(t.rooms.dispatchAgent).toHaveBeenCalledWith('call-y', 'test-agent', {
      callSid: CALL.callSid,
      direction: 'outbound',
      from: CALL.from,
      to: CALL.to,
      task: 'Confirm Tuesday',
      voice: 'ash',
      history: [
        { speaker: 'agent', text: 'Hello, I am calling about your appointment.' },
        { speaker: 'caller', text: 'Yes, can we move it?' },
      ],
      resumed: true,
    });
    vi.advanceTimersByTime(12_999);
    expect(t.ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(t.ended).toEqual(['agent_lost']);
  });

  it('stands down when an agent comes back, and sends none to a call that is no longer live', () => {
    const t = setup();
    leaveThenJoin(t, 'agent-old', 1_000, 'agent-new');
    vi.advanceTimersByTime(60_000);
    expect(t.rooms.dispatchAgent).not.toHaveBeenCalled();
    expect(t.rooms.removeParticipant).not.toHaveBeenCalled(); // back within the grace: not replaced
    expect(t.ended).toEqual([]);

    const ended = setup();
    ended.agents.present = 0;
    ended.setLive(false);
    ended.watch.agentGone('agent-old');
    vi.advanceTimersByTime(60_000);
    expect(ended.rooms.dispatchAgent).not.toHaveBeenCalled();
    expect(ended.ended).toEqual([]);
  });

  it('takes out an agent that comes back after its replacement was sent, so two never answer at once', async () => {
    const t = setup();
    t.agents.present = 0;
    t.watch.agentGone('agent-old');
    vi.advanceTimersByTime(2_000); // the grace is over: a replacement is dispatched
    await vi.waitFor(() => expect(t.rooms.dispatchAgent).toHaveBeenCalledTimes(1));
    // The old agent reconnects a moment later (its LiveKit node died and the room moved).
    t.agents.present = 1;
    t.watch.agentBack('agent-old');
    expect(t.rooms.removeParticipant).toHaveBeenCalledWith(CALL.room, 'agent-old');
    // Removed, it leaves; no second replacement is sent while the first is on its way (it arrives
    // later than the grace), and the call goes on with it.
    leaveThenJoin(t, 'agent-old', 3_000, 'agent-new');
    vi.advanceTimersByTime(60_000);
    expect(t.rooms.dispatchAgent).toHaveBeenCalledTimes(1);
    expect(t.ended).toEqual([]);
  });

  it('ends the call as room_closed when LiveKit does not come back in time, not when it does', () => {
    const back = setup();
    back.watch.reconnecting();
    vi.advanceTimersByTime(4_000);
    back.watch.reconnected();
    vi.advanceTimersByTime(60_000);
    expect(back.ended).toEqual([]);

    const gone = setup();
    gone.watch.reconnecting();
    vi.advanceTimersByTime(4_999);
    expect(gone.ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(gone.ended).toEqual(['room_closed']);
  });
});
