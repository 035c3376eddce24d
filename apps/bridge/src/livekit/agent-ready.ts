import { setTimeout as sleep } from 'node:timers/promises';
import { isAgentSessionUp } from '@callbridge/room-contract';

const POLL_MS = 40;

export type AgentReadiness = 'ready' | 'timeout' | 'cancelled';

/** The `lk.agent.state` attribute of each participant in the room (undefined: not an agent). */
export type AgentStates = (room: string) => Promise<(string | undefined)[]>;

/**
 * Waits until an agent in `room` has its session up (LiveKit Agents reports `listening` once it
 * started), at most `timeoutMs`, or until `cancelled()` says the call is gone. The bridge rings an
 * inbound caller meanwhile: ringing a moment longer and then the greeting at once is a shorter
 * wait for the caller than an answer into silence. A failing lookup is retried until the deadline.
 */
export async function waitForAgentReady(
  states: AgentStates,
  room: string,
  opts: { timeoutMs: number; cancelled?: () => boolean },
): Promise<AgentReadiness> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    if (opts.cancelled?.()) return 'cancelled';
    const found = await states(room).catch(() => []);
    if (found.some(isAgentSessionUp)) return 'ready';
    const left = deadline - performance.now();
    if (left <= 0) return 'timeout';
    await sleep(Math.min(POLL_MS, left));
  }
}
