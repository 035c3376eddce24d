import { describe, expect, it } from 'vitest';
import { DISPATCH_LIMITS, dispatchMetadataSchema, recentHistory, roomMetadataSchema } from './dispatch.js';

const room = { callSid: 'CA1', direction: 'inbound', from: '+15551234567', to: '+15557654321' } as const;

describe('room and dispatch metadata', () => {
  it('accepts what the bridge writes, including withheld numbers, and drops unknown fields', () => {
    expect(roomMetadataSchema.parse(JSON.parse(JSON.stringify(room)))).toEqual(room);
    expect(roomMetadataSchema.parse({ ...room, from: 'anonymous' }).from).toBe('anonymous');
    expect(roomMetadataSchema.parse({ ...room, extra: 1 })).toEqual(room);
  });

  it('needs the call, its direction and both ends', () => {
    expect(roomMetadataSchema.safeParse({ ...room, callSid: '' }).success).toBe(false);
    expect(roomMetadataSchema.safeParse({ ...room, direction: 'sideways' }).success).toBe(false);
    const { to: _to, ...noTo } = room;
    expect(roomMetadataSchema.safeParse(noTo).success).toBe(false);
  });

  it('adds the task, instructions, voice and the re-dispatch flag, within limits', () => {
    const dispatch = { ...room, task: 'Confirm Tuesday', voice: 'ash', resumed: true };
    expect(dispatchMetadataSchema.parse(dispatch)).toEqual(dispatch);
    expect(dispatchMetadataSchema.parse(room)).toEqual(room);
    const longTask = { ...room, task: 'x'.repeat(DISPATCH_LIMITS.task + 1) };
    expect(dispatchMetadataSchema.safeParse(longTask).success).toBe(false);
    expect(dispatchMetadataSchema.safeParse({ ...room, voice: '' }).success).toBe(false);
    expect(dispatchMetadataSchema.safeParse({ ...room, resumed: 'yes' }).success).toBe(false);
  });

  it('carries machine detection and the voicemail plan', () => {
    const plan = { action: 'leave_message', message: 'Please call us back.' } as const;
    const parsed = dispatchMetadataSchema.parse({ ...room, machineDetection: true, voicemail: plan });
    expect(parsed).toMatchObject({ machineDetection: true, voicemail: plan });
    expect(dispatchMetadataSchema.safeParse({ ...room, voicemail: { action: 'sing' } }).success).toBe(false);
  });
});

describe('the conversation so far, for a replacement agent', () => {
  it('keeps the most recent lines that fit, cutting the oldest kept line at its start', () => {
    const lines = [
      { speaker: 'agent', text: 'Hello, how can I help?' },
      { speaker: 'caller', text: '  ' },
      { speaker: 'caller', text: 'Move my appointment.' },
      { speaker: 'agent', text: 'To which day?' },
    ] as const;
    expect(recentHistory(lines)).toEqual([
      { speaker: 'agent', text: 'Hello, how can I help?' },
      { speaker: 'caller', text: 'Move my appointment.' },
      { speaker: 'agent', text: 'To which day?' },
    ]);
    expect(recentHistory(lines, 25)).toEqual([
      { speaker: 'caller', text: 'appointment.' },
      { speaker: 'agent', text: 'To which day?' },
    ]);
    const long = [{ speaker: 'caller', text: 'y'.repeat(DISPATCH_LIMITS.historyChars * 2) }] as const;
    const kept = recentHistory(long);
    expect(kept[0]!.text).toHaveLength(DISPATCH_LIMITS.historyChars);
    expect(dispatchMetadataSchema.safeParse({ ...room, resumed: true, history: kept }).success).toBe(true);
  });

  it('refuses a history past the limit, an unknown speaker or an empty line', () => {
    const over = [{ speaker: 'caller', text: 'z'.repeat(DISPATCH_LIMITS.historyChars + 1) }];
    expect(dispatchMetadataSchema.safeParse({ ...room, history: over }).success).toBe(false);
    const who = [{ speaker: 'operator', text: 'hi' }];
    expect(
      dispatchMetadataSchema.safeParse({ ...room, history: [{ speaker: 'tool', text: 'f() → 1' }] }).success,
    ).toBe(true);
    expect(dispatchMetadataSchema.safeParse({ ...room, history: who }).success).toBe(false);
    expect(
      dispatchMetadataSchema.safeParse({ ...room, history: [{ speaker: 'agent', text: '' }] }).success,
    ).toBe(false);
  });
});
