import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { actionFor, VERDICT_WAIT_MS, voicemailInstructions, waitForVerdict } from './machine-verdict.js';

describe('actionFor', () => {
  it('greets a human, or when detection could not tell', () => {
    expect(actionFor('human', { action: 'leave_message' })).toBe('greet');
    expect(actionFor('unknown', { action: 'hang_up' })).toBe('greet');
  });

  it('follows the voicemail plan for every machine verdict, hanging up by default and on a fax', () => {
    for (const v of ['machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other']) {
      expect(actionFor(v, { action: 'leave_message', message: 'x' })).toBe('leave_message');
      expect(actionFor(v, { action: 'hang_up' })).toBe('hang_up');
      expect(actionFor(v, undefined)).toBe('hang_up');
    }
    expect(actionFor('fax', { action: 'leave_message' })).toBe('hang_up');
  });
});

describe('voicemailInstructions', () => {
  it('leaves the given message word for word, or composes one from the task', () => {
    expect(voicemailInstructions({ action: 'leave_message', message: 'Call us back.' }, {})).toContain(
      'word for word, and say nothing else: "Call us back."',
    );
    const composed = voicemailInstructions(
      { action: 'leave_message' },
      { task: 'Confirm the delivery.', ourNumber: '+15559870000' },
    );
    expect(composed).toContain('AI assistant calling about this: Confirm the delivery.');
    expect(composed).toContain('call back at +15559870000');
  });
});

describe('waitForVerdict', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('takes a verdict already there, or one that comes later, once', () => {
    const got: (string | undefined)[] = [];
    waitForVerdict({ onAnsweredBy: (cb) => (cb('human'), () => undefined), onVerdict: (v) => got.push(v) });
    let later!: (v: string) => void;
    const unsubscribed: boolean[] = [];
    waitForVerdict({
      onAnsweredBy: (cb) => ((later = cb), () => unsubscribed.push(true)),
      onVerdict: (v) => got.push(v),
    });
    later('machine_end_beep');
    later('human');
    vi.advanceTimersByTime(VERDICT_WAIT_MS);
    expect(got).toEqual(['human', 'machine_end_beep']);
    expect(unsubscribed).toEqual([true]);
  });

  it('gives up after the wait, and a cancelled wait reports nothing', () => {
    const got: (string | undefined)[] = [];
    waitForVerdict({ onAnsweredBy: () => () => undefined, onVerdict: (v) => got.push(v), waitMs: 1000 });
    const cancel = waitForVerdict({ onAnsweredBy: () => () => undefined, onVerdict: (v) => got.push(v) });
    cancel();
    vi.advanceTimersByTime(VERDICT_WAIT_MS);
    expect(got).toEqual([undefined]);
  });
});
