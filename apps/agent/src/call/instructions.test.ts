import { describe, expect, it } from 'vitest';
import { callContextFromMetadata } from './context.js';
import { composeInstructions, greetingInstructions, resumeInstructions } from './instructions.js';

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

describe('a replacement agent continues the call', () => {
  const dispatch = {
    callSid: 'CA1',
    direction: 'outbound',
    from: '+15557654321',
    to: '+15551234567',
    task: 'Confirm the Tuesday appointment.',
    instructions: 'Speak slowly.',
    voice: 'ash',
    resumed: true,
    history: [
      { speaker: 'agent', text: 'Hello, I am an AI assistant calling about your appointment.' },
      { speaker: 'caller', text: 'Can we move it to Wednesday?' },
      { speaker: 'tool', text: 'find_slots({"day":"Wednesday"}) → {"slots":["10:00"]}' },
    ],
  };

  it('reads the re-dispatch metadata: same task, instructions and voice, and the history', () => {
    const call = callContextFromMetadata(JSON.stringify(dispatch), '');
    expect(call.issues).toEqual([]);
    expect(call).toMatchObject({
      task: dispatch.task,
      instructions: dispatch.instructions,
      voice: 'ash',
      resumed: true,
      history: dispatch.history,
    });
  });

  it('quotes the conversation so far in the instructions, and says not to greet again', () => {
    const call = callContextFromMetadata(JSON.stringify(dispatch), '');
    const text = composeInstructions('You are a clinic assistant.', call, new Date('2026-12-06T00:00:00Z'));
    expect(text).toContain('Your task on this call: Confirm the Tuesday appointment.');
    expect(text).toContain('Speak slowly.');
    expect(text).toContain(
      'Assistant: Hello, I am an AI assistant calling about your appointment.\nCaller: Can we move it to Wednesday?\n' +
        'Tool call: find_slots({"day":"Wednesday"}) → {"slots":["10:00"]}',
    );
    expect(text).toMatch(/Do not greet the caller again/);
    const first = resumeInstructions(text);
    expect(first.startsWith(text)).toBe(true);
    expect(first).toMatch(/where were we/);
    // A first call has none of this.
    const fresh = callContextFromMetadata(
      JSON.stringify({ ...dispatch, resumed: undefined, history: undefined }),
      '',
    );
    expect(composeInstructions('You are a clinic assistant.', fresh)).not.toMatch(/taking over/);
  });

  it('resumes without a transcript when the history is missing or refused', () => {
    const bad = callContextFromMetadata(
      JSON.stringify({ ...dispatch, history: [{ speaker: 'x', text: 'y' }] }),
      '',
    );
    expect(bad.issues).toEqual(['dispatch.history is invalid']);
    expect(bad.history).toBeUndefined();
    expect(composeInstructions('Persona.', bad)).toMatch(
      /No transcript of the conversation so far is available/,
    );
  });
});
