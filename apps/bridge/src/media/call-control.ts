import type { LiveCalls } from '../calls/live-calls.js';
import type { Logger } from '../logger.js';
import type { AgentAudioRelay } from './agent-audio-relay.js';

/**
 * Who speaks to the caller: the agent, or an operator who took the call over from the console
 * (the phone line then relays only the operator's audio). Routes the agent's state to the relay
 * and the console's live view, except while an operator has the call: what the agent was saying is
 * cut at the caller when they take over, and the operator's audio is one utterance until they hand
 * the call back by leaving.
 */
export class CallControl {
  private agentState = 'none';
  private operator: string | null = null;

  constructor(
    private readonly deps: {
      callSid: string;
      relay: Pick<AgentAudioRelay, 'interrupt' | 'onAgentState'>;
      live?: Pick<LiveCalls, 'update'>;
      log: Logger;
    },
  ) {}

  agentStateChanged(state: string): void {
    this.agentState = state;
    if (this.operator) return; // the caller hears the operator; the agent is silent
    this.deps.relay.onAgentState(state);
    this.deps.live?.update(this.deps.callSid, { agentState: state });
  }

  takeoverChanged(operator: string | null): void {
    const { relay, live, log, callSid } = this.deps;
    this.operator = operator;
    log.info({ operator }, operator ? 'operator took the call over' : 'operator handed the call back');
    if (operator) {
      relay.interrupt();
      // Cut off, the relay ignores audio until its speaker starts a new utterance: the operator's.
      relay.onAgentState('none');
      relay.onAgentState('speaking');
    } else relay.onAgentState(this.agentState);
    live?.update(callSid, { agentState: operator ? 'operator' : this.agentState });
  }
}
