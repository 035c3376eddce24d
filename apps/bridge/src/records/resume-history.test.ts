import { describe, expect, it } from 'vitest';
import { resumeHistory } from './resume-history.js';

describe('resumeHistory', () => {
  it('interleaves the transcript and the tool calls in time order, cutting long tool output', () => {
    const lines = [
      { speaker: 'agent', identity: 'agent-1', text: 'Hello, how can I help?', at: 1000 },
      { speaker: 'caller', identity: 'phone-1', text: 'Am I covered? MB123456.', at: 2000 },
      { speaker: 'agent', identity: 'agent-1', text: 'You are covered.', at: 4000 },
    ] as const;
    const tools = [
      {
        name: 'check_eligibility',
        toolCallId: 'call_1',
        arguments: { member_id: 'MB123456' },
        result: { covered: true, notes: 'x'.repeat(1000) },
        error: null,
        startedAt: 2500,
        endedAt: 2600,
      },
      {
        name: 'transfer_call',
        toolCallId: null,
        arguments: { to: '+15550001111' },
        result: null,
        error: 'not allowed',
        startedAt: 4500,
        endedAt: 4600,
      },
    ];
    const history = resumeHistory(lines, tools);
    expect(history.map((l) => l.speaker)).toEqual(['agent', 'caller', 'tool', 'agent', 'tool']);
    expect(history[2]!.text).toMatch(/^check_eligibility\({"member_id":"MB123456"}\) → {"covered":true,/);
    expect(history[2]!.text).toHaveLength(600);
    expect(history[4]!.text).toBe('transfer_call({"to":"+15550001111"}) → error: not allowed');
  });
});
