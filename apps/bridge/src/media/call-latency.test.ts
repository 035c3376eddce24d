import { describe, expect, it } from 'vitest';
import { CallLatency, isLoud } from './call-latency.js';

describe('CallLatency', () => {
  it('measures the greeting from the stream start and each turn from the caller’s last loud frame', () => {
    let now = 1000;
    const greetings: number[] = [];
    const turns: number[] = [];
    const latency = new CallLatency(
      1000,
      { onGreeting: (ms) => greetings.push(ms), onTurn: (ms) => turns.push(ms) },
      () => now,
    );
    now = 1900;
    latency.agentUtteranceStarted(); // the greeting
    now = 3000;
    latency.callerFrame(true);
    now = 3500;
    latency.callerFrame(true); // last word
    now = 3520;
    latency.callerFrame(false);
    now = 4600;
    latency.agentUtteranceStarted(); // the answer
    now = 6000;
    latency.agentUtteranceStarted(); // the agent again, the caller silent meanwhile: not a turn
    expect(greetings).toEqual([900]);
    expect(turns).toEqual([1100]);
    expect(latency.turnsMs).toEqual([1100]);
  });

  it('tells speech from line noise', () => {
    expect(isLoud(new Int16Array(960))).toBe(false);
    expect(isLoud(new Int16Array(960).fill(3000))).toBe(true);
  });
});
