import { describe, expect, it } from 'vitest';
import {
  decodeOutbound,
  encodeClear,
  encodeMark,
  encodeMedia,
  mulawToPayload,
  payloadToMulaw,
} from './index.js';
import { STREAM_SID } from './_test-fixtures.js';

describe('outbound encoders produce the documented wire JSON', () => {
  it('media', () => {
    expect(encodeMedia(STREAM_SID, 'a3242sa=')).toBe(
      `{"event":"media","streamSid":"${STREAM_SID}","media":{"payload":"a3242sa="}}`,
    );
  });

  it('mark', () => {
    expect(encodeMark(STREAM_SID, 'my label')).toBe(
      `{"event":"mark","streamSid":"${STREAM_SID}","mark":{"name":"my label"}}`,
    );
  });

  it('clear', () => {
    expect(encodeClear(STREAM_SID)).toBe(`{"event":"clear","streamSid":"${STREAM_SID}"}`);
  });

  it('escapes mark names instead of breaking the JSON', () => {
    const name = 'utterance "7" \\ done';
    const decoded = decodeOutbound(encodeMark(STREAM_SID, name));
    expect(decoded.ok && decoded.message.event === 'mark' && decoded.message.mark.name).toBe(name);
  });

  it('round-trips through decodeOutbound', () => {
    const payload = mulawToPayload(new Uint8Array([0xff, 0x7f, 0x00, 0x80]));
    for (const raw of [
      encodeMedia(STREAM_SID, payload),
      encodeMark(STREAM_SID, 'm1'),
      encodeClear(STREAM_SID),
    ]) {
      expect(decodeOutbound(raw).ok).toBe(true);
    }
  });
});

describe('payload helpers', () => {
  it('μ-law bytes ⇄ base64, honouring a subarray view', () => {
    const backing = new Uint8Array([1, 2, 0xff, 0x00, 0x7f, 9]);
    const view = backing.subarray(2, 5);
    const payload = mulawToPayload(view);
    expect(payload).toBe(Buffer.from([0xff, 0x00, 0x7f]).toString('base64'));
    expect([...payloadToMulaw(payload)]).toEqual([0xff, 0x00, 0x7f]);
  });
});
