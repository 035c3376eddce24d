import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SilenceWatchdog } from './silence-watchdog.js';

describe('SilenceWatchdog', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function watchdog(maxReprompts = 2) {
    const events: string[] = [];
    const w = new SilenceWatchdog({
      silenceMs: 10_000,
      maxReprompts,
      onReprompt: (n) => events.push(`reprompt ${n}`),
      onGiveUp: () => events.push('give up'),
    });
    return { w, events };
  }

  it('reprompts after silence, then gives up after the last unanswered reprompt', () => {
    const { w, events } = watchdog();
    w.agentState('listening');
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(['reprompt 1']);
    // The reprompt is spoken, then silence again.
    w.agentState('speaking');
    vi.advanceTimersByTime(30_000);
    expect(events).toEqual(['reprompt 1']);
    w.agentState('listening');
    vi.advanceTimersByTime(10_000);
    w.agentState('speaking');
    w.agentState('listening');
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(['reprompt 1', 'reprompt 2', 'give up']);
    vi.advanceTimersByTime(60_000);
    expect(events).toHaveLength(3);
  });

  it('does not count time while the caller speaks, and the caller answering resets the count', () => {
    const { w, events } = watchdog(1);
    w.agentState('listening');
    vi.advanceTimersByTime(9_000);
    w.callerState('speaking');
    vi.advanceTimersByTime(20_000);
    expect(events).toEqual([]);
    w.callerState('listening');
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(['reprompt 1']);
    w.callerState('speaking');
    w.callerState('listening');
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(['reprompt 1', 'reprompt 1']);
  });

  it('keeps reprompting on schedule even if a reprompt never makes the agent speak', () => {
    const { w, events } = watchdog(1);
    w.agentState('listening');
    vi.advanceTimersByTime(20_000);
    expect(events).toEqual(['reprompt 1', 'give up']);
  });

  it('is off with silenceMs 0, and silent after close', () => {
    const events: string[] = [];
    const off = new SilenceWatchdog({
      silenceMs: 0,
      maxReprompts: 1,
      onReprompt: () => events.push('r'),
      onGiveUp: () => events.push('g'),
    });
    off.agentState('listening');
    vi.advanceTimersByTime(100_000);
    const { w, events: closed } = watchdog();
    w.agentState('listening');
    w.close();
    vi.advanceTimersByTime(100_000);
    expect([...events, ...closed]).toEqual([]);
  });
});
