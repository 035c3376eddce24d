import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { CallControl } from './call-control.js';

function setup() {
  const relay: string[] = [];
  const live: string[] = [];
  const control = new CallControl({
    callSid: 'CA1',
    relay: { interrupt: () => relay.push('interrupt'), onAgentState: (s) => relay.push(s) },
    live: { update: (_sid, patch) => live.push(patch.agentState ?? '') },
    log: createLogger('silent'),
  });
  return { control, relay, live };
}

describe('CallControl', () => {
  it('passes agent states through until an operator takes over, then keeps the agent out', () => {
    const { control, relay, live } = setup();
    control.agentStateChanged('speaking');
    control.takeoverChanged('operator-alice');
    // What the agent was saying is cut; the operator's audio flows as one utterance.
    expect(relay).toEqual(['speaking', 'interrupt', 'none', 'speaking']);
    control.agentStateChanged('listening'); // the agent falls silent: not the relay's business now
    control.agentStateChanged('thinking');
    expect(relay).toEqual(['speaking', 'interrupt', 'none', 'speaking']);
    control.takeoverChanged(null); // handed back: the relay follows the agent again
    expect(relay.at(-1)).toBe('thinking');
    expect(live).toEqual(['speaking', 'operator', 'thinking']);
  });
});
