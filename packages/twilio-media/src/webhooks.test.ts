import { describe, expect, it } from 'vitest';
import { parseStatusCallback, parseStreamStatusCallback, parseVoiceWebhook } from './index.js';
import { ACCOUNT_SID, CALL_SID, STREAM_SID } from './_test-fixtures.js';

// A voice webhook as Twilio posts it for an inbound call (field set from Twilio's request docs).
const voiceForm = {
  AccountSid: ACCOUNT_SID,
  ApiVersion: '2010-04-01',
  CallSid: CALL_SID,
  CallStatus: 'ringing',
  Called: '+15558675310',
  CalledCountry: 'US',
  CalledState: 'CA',
  Caller: '+15017122661',
  CallerCountry: 'US',
  Direction: 'inbound',
  From: '+15017122661',
  FromCountry: 'US',
  FromState: 'CA',
  To: '+15558675310',
  ToCountry: 'US',
};

describe('parseVoiceWebhook', () => {
  it('parses a real-looking inbound call form (object or URLSearchParams)', () => {
    const parsed = parseVoiceWebhook(voiceForm);
    expect(parsed).toEqual({ ok: true, value: voiceForm });
    expect(parseVoiceWebhook(new URLSearchParams(voiceForm))).toEqual(parsed);
  });

  it('names the bad field and value', () => {
    const parsed = parseVoiceWebhook({ ...voiceForm, CallStatus: 'exploded', CallSid: 'CAxyz' });
    if (parsed.ok) throw new Error('should not parse');
    expect(parsed.error.code).toBe('invalid_webhook');
    expect(parsed.error.message).toContain('CallStatus');
    expect(parsed.error.message).toContain('"exploded"');
    expect(parsed.error.message).toContain('CallSid');
  });

  it('requires the fields every call request carries', () => {
    const { From: _from, ...withoutFrom } = voiceForm;
    const parsed = parseVoiceWebhook(withoutFrom);
    expect(!parsed.ok && parsed.error.message).toContain('From');
  });
});

describe('parseStatusCallback', () => {
  it('parses a completed call with its duration', () => {
    const form = {
      ...voiceForm,
      CallStatus: 'completed',
      CallDuration: '42',
      Timestamp: 'Mon, 16 Aug 2010 03:45:01 +0000',
      CallbackSource: 'call-progress-events',
      SequenceNumber: '0',
    };
    const parsed = parseStatusCallback(form);
    expect(parsed.ok && parsed.value.CallDuration).toBe('42');
  });

  it('accepts every documented call status and refuses others', () => {
    for (const status of [
      'queued',
      'initiated',
      'ringing',
      'in-progress',
      'answered',
      'completed',
      'busy',
      'no-answer',
      'failed',
      'canceled',
    ]) {
      expect(parseStatusCallback({ ...voiceForm, CallStatus: status }).ok).toBe(true);
    }
    expect(parseStatusCallback({ ...voiceForm, CallStatus: 'hung-up' }).ok).toBe(false);
  });

  it('refuses a non-numeric CallDuration', () => {
    const parsed = parseStatusCallback({ ...voiceForm, CallStatus: 'completed', CallDuration: '4.2s' });
    expect(!parsed.ok && parsed.error.message).toContain('CallDuration');
  });
});

describe('parseStreamStatusCallback', () => {
  it('parses stream events', () => {
    const form = {
      AccountSid: ACCOUNT_SID,
      CallSid: CALL_SID,
      StreamSid: STREAM_SID,
      StreamName: 'callbridge',
      StreamEvent: 'stream-error',
      StreamError: 'Stream - WebSocket - Handshake Error',
      Timestamp: '2024-01-15T10:30:00Z',
    };
    expect(parseStreamStatusCallback(form)).toEqual({ ok: true, value: form });
    expect(parseStreamStatusCallback({ ...form, StreamEvent: 'stream-paused' }).ok).toBe(false);
  });
});
