import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { dialTwiml, emptyTwiml, parseDialAction, whisperTwiml } from './index.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  preserveOrder: false,
  parseTagValue: false,
  parseAttributeValue: false,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed XML tree, read by the assertions
type Xml = Record<string, any>;
const read = (xml: string) => (parser.parse(xml) as { Response: Xml }).Response;

describe('warm transfer TwiML', () => {
  it('dials a number with a whisper url (<Number url method>) and an action', () => {
    const dial = read(
      dialTwiml('+15558675310', {
        timeoutSeconds: 20,
        action: 'https://b.example.com/twilio/transfer/result?attempt=1',
        whisperUrl: 'https://b.example.com/twilio/transfer/whisper?attempt=1',
      }),
    ).Dial;
    expect(dial['@action']).toBe('https://b.example.com/twilio/transfer/result?attempt=1');
    expect(dial['@timeout']).toBe('20');
    expect(dial.Number['#text']).toBe('+15558675310');
    expect(dial.Number['@url']).toBe('https://b.example.com/twilio/transfer/whisper?attempt=1');
    expect(dial.Number['@method']).toBe('POST');
    expect(() => dialTwiml('sip:a@b.example.com', { whisperUrl: 'https://x.example.com/' })).toThrow(
      /whisperUrl applies to <Number>/,
    );
  });

  it('whispers the summary inside a one-key <Gather>, then declines and hangs up without a key', () => {
    const xml = whisperTwiml({
      summary: 'Ana Ruiz <about> a refund & a late parcel.',
      answerUrl: 'https://b.example.com/twilio/transfer/answer',
      confirm: { prompt: 'Press 1 to take the call.', digit: '1', timeoutSeconds: 8, declined: 'Declined.' },
    });
    expect(xml).toContain('Ana Ruiz &lt;about&gt; a refund &amp; a late parcel.');
    const response = read(xml);
    expect(response.Gather['@numDigits']).toBe('1');
    expect(response.Gather['@timeout']).toBe('8');
    expect(response.Gather['@action']).toBe('https://b.example.com/twilio/transfer/answer');
    expect(response.Gather.Say).toEqual([
      'Ana Ruiz <about> a refund & a late parcel.',
      'Press 1 to take the call.',
    ]);
    expect(response.Say).toBe('Declined.');
    expect(response.Hangup).toBe('');
  });

  it('without confirmation says the summary and redirects to the answer url', () => {
    const response = read(
      whisperTwiml({ summary: 'Refund question.', answerUrl: 'https://b.example.com/a' }),
    );
    expect(response.Say).toBe('Refund question.');
    expect(response.Redirect['#text'] ?? response.Redirect).toBe('https://b.example.com/a');
    expect(emptyTwiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });

  it('parses a <Dial> action request and refuses an unknown DialCallStatus', () => {
    const base = {
      CallSid: `CA${'a'.repeat(32)}`,
      AccountSid: `AC${'b'.repeat(32)}`,
      From: '+15551230001',
      To: '+15559870000',
      CallStatus: 'in-progress',
      ApiVersion: '2010-04-01',
      Direction: 'inbound',
    };
    const ok = parseDialAction({ ...base, DialCallStatus: 'no-answer', DialBridged: 'false' });
    expect(ok.ok && ok.value.DialCallStatus).toBe('no-answer');
    const bad = parseDialAction({ ...base, DialCallStatus: 'maybe' });
    expect(bad.ok).toBe(false);
  });
});
