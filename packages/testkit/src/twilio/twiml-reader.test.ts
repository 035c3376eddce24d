import { describe, expect, it } from 'vitest';
import { readTwiml } from './_twiml-reader.js';

describe('readTwiml', () => {
  it('reads <Connect><Stream> with parameters, keeping verb order', () => {
    const twiml = readTwiml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hello &amp; welcome</Say>\n' +
        '  <Connect><Stream url="wss://h/media" name="s1" statusCallback="https://h/ss">' +
        '<Parameter name="a" value="1"/><Parameter name="b" value="x &lt; y"/></Stream></Connect>\n' +
        '  <Say>Bye</Say><Hangup/>\n</Response>',
    );
    expect(twiml.summary).toEqual({
      verbs: ['Say', 'Connect', 'Say', 'Hangup'],
      stream: {
        url: 'wss://h/media',
        parameters: { a: '1', b: 'x < y' },
        name: 's1',
        statusCallback: 'https://h/ss',
        statusCallbackMethod: 'POST',
      },
      said: ['Hello & welcome', 'Bye'],
      hangup: true,
      reject: null,
      dialed: [],
    });
  });

  it('reads <Dial> targets and <Reject>', () => {
    expect(
      readTwiml('<Response><Dial callerId="+15550001111">+15551230000</Dial></Response>').summary.dialed,
    ).toEqual(['+15551230000']);
    expect(
      readTwiml('<Response><Dial><Sip>sip:a@b.example</Sip><Number>+15551230000</Number></Dial></Response>')
        .summary.dialed,
    ).toEqual(['sip:a@b.example', '+15551230000']);
    expect(readTwiml('<Response><Reject/></Response>').summary.reject).toBe('rejected');
  });

  it('refuses malformed XML and documents that are not a <Response>', () => {
    expect(() => readTwiml('<Response><Say>oops</Response>')).toThrow(/not well-formed XML/);
    expect(() => readTwiml('<Say>hi</Say>')).toThrow(/root must be a single <Response>; got <Say>/);
    expect(() => readTwiml('hello')).toThrow(/TwiML/);
  });
});
