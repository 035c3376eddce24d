import { describe, expect, it } from 'vitest';
import { DISPATCH_LIMITS, dispatchMetadataSchema, roomMetadataSchema } from './dispatch.js';

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
