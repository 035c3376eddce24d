import { describe, expect, it } from 'vitest';
import { toolCallMessageSchema } from './topics.js';

const message = {
  name: 'check_eligibility',
  toolCallId: 'call_1',
  arguments: { memberId: 'M-100' },
  result: { eligible: true },
  startedAt: 1_700_000_000_000,
  endedAt: 1_700_000_000_250,
};

describe('tool call message', () => {
  it('accepts what the agent publishes, with a result or an error', () => {
    expect(toolCallMessageSchema.parse(JSON.parse(JSON.stringify(message)))).toEqual(message);
    const failed = { ...message, result: undefined, error: 'member not found' };
    expect(toolCallMessageSchema.parse(failed)).toMatchObject({ error: 'member not found' });
  });

  it('refuses a message without a name or with times that are not epoch milliseconds', () => {
    expect(toolCallMessageSchema.safeParse({ ...message, name: '' }).success).toBe(false);
    expect(toolCallMessageSchema.safeParse({ ...message, startedAt: -1 }).success).toBe(false);
    expect(toolCallMessageSchema.safeParse({ ...message, endedAt: 1.5 }).success).toBe(false);
    expect(toolCallMessageSchema.safeParse({ not: 'a tool call' }).success).toBe(false);
  });
});
