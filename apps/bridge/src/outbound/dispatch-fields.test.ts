import { describe, expect, it } from 'vitest';
import { voicemailPlanFor } from './dispatch-fields.js';

describe('voicemailPlanFor', () => {
  it('takes the request plan, filling a missing message from VOICEMAIL_MESSAGE', () => {
    const defaults = { action: 'hang_up' as const, message: 'Please call us back.' };
    expect(voicemailPlanFor(null, defaults)).toEqual(defaults);
    expect(voicemailPlanFor({ action: 'leave_message' }, defaults)).toEqual({
      action: 'leave_message',
      message: 'Please call us back.',
    });
    expect(voicemailPlanFor({ action: 'leave_message', message: 'Mine.' }, defaults)).toEqual({
      action: 'leave_message',
      message: 'Mine.',
    });
    expect(voicemailPlanFor(null, { action: 'leave_message' })).toEqual({ action: 'leave_message' });
  });
});
