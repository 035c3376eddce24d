import { describe, expect, it } from 'vitest';
import { decodeInbound, decodeOutbound, type ProtocolErrorCode } from './index.js';
import { SILENCE_PAYLOAD, STREAM_SID, wire } from './_test-fixtures.js';

function errorOf(result: ReturnType<typeof decodeInbound>): {
  code: ProtocolErrorCode;
  closeCode: number;
  message: string;
} {
  if (result.ok) throw new Error(`expected a protocol error, decoded ${JSON.stringify(result.message)}`);
  return result.error;
}

describe('decodeInbound: every documented event, exactly as on the wire', () => {
  for (const [event, message] of Object.entries(wire)) {
    it(`decodes "${event}" to the same object`, () => {
      const result = decodeInbound(JSON.stringify(message));
      expect(result).toEqual({ ok: true, message });
    });
  }

  it('accepts a Buffer (what ws hands to a message listener)', () => {
    const result = decodeInbound(Buffer.from(JSON.stringify(wire.media)));
    expect(result.ok && result.message.event === 'media' && result.message.media.payload).toBe(
      SILENCE_PAYLOAD,
    );
  });

  it('exposes start fields as typed values', () => {
    const result = decodeInbound(JSON.stringify(wire.start));
    if (!result.ok || result.message.event !== 'start') throw new Error('start did not decode');
    expect(result.message.start.customParameters.FirstName).toBe('Jane');
    expect(result.message.start.mediaFormat.sampleRate).toBe(8000);
  });

  it('defaults a missing customParameters to {}', () => {
    const { customParameters: _dropped, ...start } = wire.start.start;
    const result = decodeInbound(JSON.stringify({ ...wire.start, start }));
    expect(result.ok && result.message.event === 'start' && result.message.start.customParameters).toEqual(
      {},
    );
  });

  it('drops fields Twilio may add later instead of refusing the message', () => {
    const result = decodeInbound(JSON.stringify({ ...wire.mark, future: true }));
    expect(result).toEqual({ ok: true, message: wire.mark });
  });
});

describe('decodeInbound: refusals carry a code, a message naming the bad value, and a close status', () => {
  it('invalid_json → 1008', () => {
    const error = errorOf(decodeInbound('{"event":"media",'));
    expect(error.code).toBe('invalid_json');
    expect(error.closeCode).toBe(1008);
    expect(error.message).toContain('{\\"event\\":\\"media\\",');
  });

  it('unknown_event → 1003, naming the event', () => {
    const error = errorOf(decodeInbound('{"event":"teleport","streamSid":"MZ1"}'));
    expect(error).toMatchObject({ code: 'unknown_event', closeCode: 1003 });
    expect(error.message).toContain('"teleport"');
  });

  it('an event name inherited from Object.prototype is unknown, not a crash', () => {
    expect(errorOf(decodeInbound('{"event":"constructor"}')).code).toBe('unknown_event');
  });

  it('invalid_message for a non-object, a missing event and a schema mismatch → 1008', () => {
    expect(errorOf(decodeInbound('[1,2]'))).toMatchObject({ code: 'invalid_message', closeCode: 1008 });
    expect(errorOf(decodeInbound('{"streamSid":"x"}')).code).toBe('invalid_message');
    const wrongFormat = {
      ...wire.start,
      start: { ...wire.start.start, mediaFormat: { encoding: 'audio/l16', sampleRate: 8000, channels: 1 } },
    };
    const error = errorOf(decodeInbound(JSON.stringify(wrongFormat)));
    expect(error.code).toBe('invalid_message');
    expect(error.message).toContain('start.mediaFormat.encoding');
    expect(error.message).toContain('"audio/l16"');
  });

  it('numeric fields must be decimal strings, as Twilio sends them', () => {
    const numeric = { ...wire.media, media: { ...wire.media.media, chunk: 2 } };
    const error = errorOf(decodeInbound(JSON.stringify(numeric)));
    expect(error.message).toContain('media.chunk');
    expect(errorOf(decodeInbound(JSON.stringify({ ...wire.media, sequenceNumber: '-1' }))).code).toBe(
      'invalid_message',
    );
  });

  it('refuses SIDs that are not prefix + 32 hex digits, and a start whose two streamSids differ', () => {
    const badCall = { ...wire.stop, stop: { ...wire.stop.stop, callSid: 'CA../../etc' } };
    expect(errorOf(decodeInbound(JSON.stringify(badCall))).message).toContain('stop.callSid');
    const mismatch = { ...wire.start, streamSid: 'MZ' + 'f'.repeat(32) };
    expect(errorOf(decodeInbound(JSON.stringify(mismatch))).message).toContain('differs');
  });

  it('refuses a DTMF "digit" that is not one key', () => {
    const bad = { ...wire.dtmf, dtmf: { ...wire.dtmf.dtmf, digit: '12' } };
    expect(errorOf(decodeInbound(JSON.stringify(bad))).message).toContain('dtmf.digit');
  });

  it('invalid_payload for an empty or non-base64 media payload → 1008', () => {
    for (const payload of ['', 'not base64!', 'abc', 'ab=c']) {
      const message = { ...wire.media, media: { ...wire.media.media, payload } };
      expect(errorOf(decodeInbound(JSON.stringify(message)))).toMatchObject({
        code: 'invalid_payload',
        closeCode: 1008,
      });
    }
  });

  it('oversized → 1009, for strings (counted in UTF-8 bytes) and Buffers', () => {
    const big = JSON.stringify({
      ...wire.media,
      media: { ...wire.media.media, payload: 'A'.repeat(70_000) },
    });
    expect(errorOf(decodeInbound(big))).toMatchObject({ code: 'oversized', closeCode: 1009 });
    expect(errorOf(decodeInbound(Buffer.from(big))).code).toBe('oversized');
    // 400 three-byte characters: 400 UTF-16 units but 1200 bytes.
    const wide = JSON.stringify({ ...wire.mark, mark: { name: '€'.repeat(400) } });
    expect(errorOf(decodeInbound(wide, { maxBytes: 1000 })).message).toMatch(
      /is 1\d{3} bytes; the limit is 1000/,
    );
    expect(decodeInbound(wide, { maxBytes: 2000 }).ok).toBe(true);
  });

  it('binary_frame → 1003', () => {
    expect(errorOf(decodeInbound(Buffer.from(JSON.stringify(wire.mark)), { isBinary: true }))).toMatchObject({
      code: 'binary_frame',
      closeCode: 1003,
    });
  });

  it('cuts long bad values short in messages', () => {
    const error = errorOf(decodeInbound('x'.repeat(10_000)));
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('decodeOutbound: what a server may send to Twilio', () => {
  const outbound = {
    media: { event: 'media', streamSid: STREAM_SID, media: { payload: SILENCE_PAYLOAD } },
    mark: { event: 'mark', streamSid: STREAM_SID, mark: { name: 'my label' } },
    clear: { event: 'clear', streamSid: STREAM_SID },
  };
  for (const [event, message] of Object.entries(outbound)) {
    it(`decodes "${event}"`, () => {
      expect(decodeOutbound(JSON.stringify(message))).toEqual({ ok: true, message });
    });
  }

  it('refuses inbound-only events, missing streamSid, empty mark names and bad payloads', () => {
    const codeOf = (m: unknown) => {
      const r = decodeOutbound(JSON.stringify(m));
      return r.ok ? 'ok' : r.error.code;
    };
    expect(codeOf(wire.stop)).toBe('unknown_event');
    expect(codeOf({ event: 'clear' })).toBe('invalid_message');
    expect(codeOf({ ...outbound.mark, mark: { name: '' } })).toBe('invalid_message');
    expect(codeOf({ ...outbound.media, media: { payload: '%%%%' } })).toBe('invalid_payload');
  });
});
