import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { connectStreamTwiml, dialTwiml, rejectTwiml, sayAndHangupTwiml } from './index.js';

// Attributes kept, every element an array so single children and lists read the same way.
// Values stay strings (no number parsing of "+1555…").
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
  alwaysCreateTextNode: true,
  parseTagValue: false,
  parseAttributeValue: false,
});

interface XmlNode {
  [key: string]: XmlNode[] | string | undefined;
}

function responseOf(xml: string): XmlNode {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  const doc = parser.parse(xml) as { Response?: XmlNode[] };
  const response = doc.Response?.[0];
  if (!response) throw new Error(`no <Response> in ${xml}`);
  return response;
}

function child(node: XmlNode, name: string, index = 0): XmlNode {
  const found = node[name];
  const value = Array.isArray(found) ? found[index] : undefined;
  if (!value) throw new Error(`no <${name}>[${index}] in ${JSON.stringify(node)}`);
  return value;
}

describe('connectStreamTwiml', () => {
  it('builds <Connect><Stream url> with <Parameter>s and the stream status callback', () => {
    const xml = connectStreamTwiml({
      streamUrl: 'wss://bridge.example.com/twilio/media',
      parameters: { token: 'v1.abc', room: 'call-CA1 & <friends>' },
      statusCallback: 'https://bridge.example.com/twilio/stream-status',
      statusCallbackMethod: 'POST',
      name: 'callbridge',
    });
    const stream = child(child(responseOf(xml), 'Connect'), 'Stream');
    expect(stream['@url']).toBe('wss://bridge.example.com/twilio/media');
    expect(stream['@statusCallback']).toBe('https://bridge.example.com/twilio/stream-status');
    expect(stream['@statusCallbackMethod']).toBe('POST');
    expect(stream['@name']).toBe('callbridge');
    const params = (stream.Parameter as XmlNode[]).map((p) => [p['@name'], p['@value']]);
    // The XML parser undoes the escaping, so special characters survive intact.
    expect(params).toEqual([
      ['token', 'v1.abc'],
      ['room', 'call-CA1 & <friends>'],
    ]);
  });

  it('says a notice before <Connect> when asked (Twilio runs verbs in order), escaped', () => {
    const xml = connectStreamTwiml({
      streamUrl: 'wss://bridge.example.com/twilio/media',
      parameters: {},
      sayFirst: 'This call is recorded & kept <30 days>.',
    });
    expect(xml.indexOf('<Say>')).toBeLessThan(xml.indexOf('<Connect>'));
    expect(child(responseOf(xml), 'Say')['#text']).toBe('This call is recorded & kept <30 days>.');
    expect(() => connectStreamTwiml({ streamUrl: 'wss://h/media', parameters: {}, sayFirst: ' ' })).toThrow(
      /sayFirst is empty/,
    );
  });

  it('accepts ws:// for loopback tests', () => {
    const xml = connectStreamTwiml({ streamUrl: 'ws://127.0.0.1:8080/twilio/media', parameters: {} });
    expect(child(child(responseOf(xml), 'Connect'), 'Stream')['@url']).toBe(
      'ws://127.0.0.1:8080/twilio/media',
    );
  });

  it('refuses a query string, a non-ws scheme and a relative URL, naming the URL', () => {
    expect(() => connectStreamTwiml({ streamUrl: 'wss://h/media?call=CA1', parameters: {} })).toThrow(
      /"wss:\/\/h\/media\?call=CA1" has a query string/,
    );
    expect(() => connectStreamTwiml({ streamUrl: 'wss://h/media?', parameters: {} })).toThrow(/query string/);
    expect(() => connectStreamTwiml({ streamUrl: 'https://h/media', parameters: {} })).toThrow(
      /"https:\/\/h\/media" must use wss:\/\//,
    );
    expect(() => connectStreamTwiml({ streamUrl: '/twilio/media', parameters: {} })).toThrow(
      /"\/twilio\/media" is not an absolute URL/,
    );
  });

  it('refuses a non-http status callback and an empty parameter name', () => {
    expect(() =>
      connectStreamTwiml({ streamUrl: 'wss://h/m', parameters: {}, statusCallback: 'ftp://h/s' }),
    ).toThrow(/statusCallback "ftp:\/\/h\/s"/);
    expect(() => connectStreamTwiml({ streamUrl: 'wss://h/m', parameters: { '': 'x' } })).toThrow(
      /name is empty/,
    );
  });
});

describe('sayAndHangupTwiml', () => {
  it('says the message, then hangs up', () => {
    const xml = sayAndHangupTwiml('All our agents are busy. Please call again later.', {
      voice: 'alice',
      language: 'en-US',
    });
    const response = responseOf(xml);
    const say = child(response, 'Say');
    expect(say['#text']).toBe('All our agents are busy. Please call again later.');
    expect(say['@voice']).toBe('alice');
    expect(say['@language']).toBe('en-US');
    expect(response.Hangup).toHaveLength(1);
    // Order matters to Twilio: Say must come before Hangup.
    expect(xml.indexOf('<Say')).toBeLessThan(xml.indexOf('<Hangup'));
  });

  it('refuses an empty message', () => {
    expect(() => sayAndHangupTwiml('  ')).toThrow(/empty/);
  });
});

describe('rejectTwiml', () => {
  it('rejects with the given reason, defaulting to "rejected"', () => {
    expect(child(responseOf(rejectTwiml('busy')), 'Reject')['@reason']).toBe('busy');
    expect(child(responseOf(rejectTwiml()), 'Reject')['@reason']).toBe('rejected');
  });
});

describe('dialTwiml', () => {
  it('dials an E.164 number with options', () => {
    const xml = dialTwiml('+15558675310', {
      callerId: '+15551230000',
      timeoutSeconds: 20,
      action: 'https://bridge.example.com/twilio/dial-done',
      answerOnBridge: true,
    });
    const dial = child(responseOf(xml), 'Dial');
    expect(child(dial, 'Number')['#text']).toBe('+15558675310');
    expect(dial['@callerId']).toBe('+15551230000');
    expect(dial['@timeout']).toBe('20');
    expect(dial['@action']).toBe('https://bridge.example.com/twilio/dial-done');
    expect(dial['@answerOnBridge']).toBe('true');
  });

  it('dials a SIP URI with <Sip>', () => {
    const dial = child(responseOf(dialTwiml('sip:support@pbx.example.com')), 'Dial');
    expect(child(dial, 'Sip')['#text']).toBe('sip:support@pbx.example.com');
  });

  it('refuses anything else, naming it', () => {
    expect(() => dialTwiml('555-1234')).toThrow(/"555-1234" is neither an E.164 number/);
    expect(() => dialTwiml('+15558675310', { callerId: 'me' })).toThrow(/callerId "me"/);
    expect(() => dialTwiml('+15558675310', { timeoutSeconds: 0 })).toThrow(/timeoutSeconds/);
  });
});
