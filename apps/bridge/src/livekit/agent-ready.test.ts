import { describe, expect, it } from 'vitest';
import { waitForAgentReady, type AgentStates } from './agent-ready.js';

/** Room states that change after a given number of lookups. */
function statesAfter(steps: (string | undefined)[][]): AgentStates & { lookups: number } {
  const fn = Object.assign(
    async () => {
      const i = Math.min(fn.lookups, steps.length - 1);
      fn.lookups++;
      return steps[i]!;
    },
    { lookups: 0 },
  );
  return fn;
}

describe('waitForAgentReady', () => {
  it('is ready once an agent reports its session up, not while it initializes', async () => {
    const states = statesAfter([[], [undefined], [undefined, 'initializing'], [undefined, 'listening']]);
    await expect(waitForAgentReady(states, 'r', { timeoutMs: 10_000 })).resolves.toBe('ready');
    expect(states.lookups).toBe(4);
  });

  it('gives up at the deadline when no agent comes', async () => {
    const states = statesAfter([[undefined]]);
    const t0 = performance.now();
    await expect(waitForAgentReady(states, 'r', { timeoutMs: 100 })).resolves.toBe('timeout');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(99);
    expect(states.lookups).toBeGreaterThan(1);
  });

  it('stops as soon as the call is gone', async () => {
    let gone = false;
    const states = statesAfter([[undefined]]);
    const waiting = waitForAgentReady(states, 'r', { timeoutMs: 10_000, cancelled: () => gone });
    gone = true;
    await expect(waiting).resolves.toBe('cancelled');
  });

  it('retries a failing lookup instead of answering on it', async () => {
    let calls = 0;
    const states: AgentStates = async () => {
      if (++calls < 3) throw new Error('twirp error');
      return ['speaking'];
    };
    await expect(waitForAgentReady(states, 'r', { timeoutMs: 10_000 })).resolves.toBe('ready');
  });
});
