import { describe, expect, it } from 'vitest';
import { callContextFromMetadata } from './context.js';
import { greetingInstructions } from './instructions.js';

const CONFIGURED = 'Greet the caller in one short sentence and ask how you can help.';

describe('greeting instructions', () => {
  it('keeps the configured greeting for inbound calls', () => {
    const call = callContextFromMetadata(JSON.stringify({ direction: 'inbound', task: 'ignored' }), '');
    expect(greetingInstructions(CONFIGURED, call)).toBe(CONFIGURED);
  });

  it('makes an outbound call open with "I am an AI" and the purpose from the dispatched task', () => {
    const call = callContextFromMetadata(
      JSON.stringify({ direction: 'outbound', task: 'Remind the patient of tomorrow 9 am appointment.' }),
      '',
    );
    expect(greetingInstructions(CONFIGURED, call)).toBe(
      'You placed this call and the person did not expect it. Say hello, say that you are an AI ' +
        'assistant (never claim to be human), state the purpose of this call in one sentence ' +
        '(your task: Remind the patient of tomorrow 9 am appointment.), and ask whether now is a good time to talk.',
    );
    const noTask = callContextFromMetadata(JSON.stringify({ direction: 'outbound' }), '');
    expect(greetingInstructions(CONFIGURED, noTask)).toMatch(
      /AI assistant.*state in one sentence why you are calling/,
    );
  });
});
