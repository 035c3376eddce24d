import { describe, expect, it } from 'vitest';
import { RECORD_OUTCOMES } from '../calls/outcomes.js';
import { NO_RESULT_REASONS, noResultReason } from './no-result-reason.js';

describe('noResultReason', () => {
  it('says why from how the call ended', () => {
    expect(noResultReason('no_answer', null)).toBe('no_answer');
    expect(noResultReason('canceled', null)).toBe('no_answer');
    expect(noResultReason('busy', null)).toBe('refused');
    expect(noResultReason('caller_hung_up', 'human')).toBe('hung_up');
    expect(noResultReason('agent_hung_up', 'human')).toBe('agent_gave_up');
    expect(noResultReason('no_stream', null)).toBe('failed');
  });

  it('a machine or fax verdict is voicemail whatever the ending', () => {
    for (const verdict of [
      'machine_start',
      'machine_end_beep',
      'machine_end_silence',
      'machine_end_other',
      'fax',
    ])
      expect(noResultReason('agent_hung_up', verdict)).toBe('voicemail');
    expect(noResultReason('agent_hung_up', 'unknown')).toBe('agent_gave_up');
  });

  it('maps every outcome to a documented reason', () => {
    for (const outcome of RECORD_OUTCOMES) expect(NO_RESULT_REASONS).toContain(noResultReason(outcome, null));
  });
});
