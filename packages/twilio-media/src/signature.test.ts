import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  computeStreamUpgradeSignature,
  computeTwilioSignature,
  validateStreamUpgradeSignature,
  validateTwilioSignature,
} from './index.js';

// The worked example in Twilio's "Webhooks security" docs (auth token 12345).
const docsExample = {
  authToken: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+12349013030',
    Digits: '1234',
    From: '+12349013030',
    To: '+18005551212',
  },
  signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
};

describe('computeTwilioSignature', () => {
  it("matches the signature in Twilio's docs", () => {
    expect(computeTwilioSignature(docsExample.authToken, docsExample.url, docsExample.params)).toBe(
      docsExample.signature,
    );
  });

  it('is base64 HMAC-SHA1 over the URL and the sorted name+value pairs', () => {
    const params = { To: '+15550001111', AccountSid: 'AC1', From: '+15550002222' };
    const url = 'https://bridge.example.com/twilio/voice';
    const data = url + 'AccountSidAC1' + 'From+15550002222' + 'To+15550001111';
    const expected = createHmac('sha1', 'secret-token').update(data).digest('base64');
    expect(computeTwilioSignature('secret-token', url, params)).toBe(expected);
  });
});

describe('validateTwilioSignature', () => {
  it("accepts Twilio's documented example", () => {
    expect(validateTwilioSignature(docsExample)).toBe(true);
  });

  it('refuses a changed parameter, URL, token or signature', () => {
    expect(validateTwilioSignature({ ...docsExample, params: { ...docsExample.params, Digits: '9' } })).toBe(
      false,
    );
    expect(
      validateTwilioSignature({ ...docsExample, url: 'https://mycompany.com/myapp.php?foo=1&bar=3' }),
    ).toBe(false);
    expect(validateTwilioSignature({ ...docsExample, authToken: '54321' })).toBe(false);
    expect(validateTwilioSignature({ ...docsExample, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' })).toBe(
      false,
    );
  });

  it('is false, never a throw, for missing or malformed pieces', () => {
    expect(validateTwilioSignature({ ...docsExample, signature: undefined })).toBe(false);
    expect(validateTwilioSignature({ ...docsExample, signature: '' })).toBe(false);
    expect(validateTwilioSignature({ ...docsExample, signature: [docsExample.signature, 'x'] })).toBe(false);
    expect(validateTwilioSignature({ ...docsExample, authToken: '' })).toBe(false);
    expect(validateTwilioSignature({ ...docsExample, url: '' })).toBe(false);
    expect(validateTwilioSignature({ ...docsExample, url: 'not a url' })).toBe(false);
  });

  it('accepts the URL signed with its default port, as Twilio sometimes does', () => {
    const signature = computeTwilioSignature('tok', 'https://bridge.example.com:443/twilio/voice', {
      A: '1',
    });
    expect(
      validateTwilioSignature({
        authToken: 'tok',
        url: 'https://bridge.example.com/twilio/voice',
        params: { A: '1' },
        signature,
      }),
    ).toBe(true);
  });
});

describe('stream upgrade signature (URL only, no params)', () => {
  const streamUrl = 'wss://bridge.example.com/twilio/media';

  it('round-trips and equals a signature over the URL with empty params', () => {
    const signature = computeStreamUpgradeSignature('tok', streamUrl);
    expect(signature).toBe(createHmac('sha1', 'tok').update(streamUrl).digest('base64'));
    expect(validateStreamUpgradeSignature({ authToken: 'tok', streamUrl, signature })).toBe(true);
  });

  it('refuses a signature for another path or host', () => {
    const signature = computeStreamUpgradeSignature('tok', 'wss://bridge.example.com/twilio/other');
    expect(validateStreamUpgradeSignature({ authToken: 'tok', streamUrl, signature })).toBe(false);
    const forged = computeStreamUpgradeSignature('tok', 'wss://evil.example.com/twilio/media');
    expect(validateStreamUpgradeSignature({ authToken: 'tok', streamUrl, signature: forged })).toBe(false);
  });
});
