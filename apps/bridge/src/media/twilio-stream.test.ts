import { CloseCode } from '@callbridge/twilio-media';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../metrics.js';
import {
  dtmfMessage,
  FakeSocket,
  markMessage,
  mediaMessage,
  startMessage,
  STREAM_SID,
  stopMessage,
  tonePayload,
} from './test-fakes.js';
import { MAX_BAD_MESSAGES, TwilioStream } from './twilio-stream.js';

const CALL_SID = 'CA' + '2'.repeat(32);
const OTHER_SID = 'MZ' + '9'.repeat(32);

/** A stream on a fake socket whose events are written down in order. */
function setup(opts: { closedFirst?: boolean } = {}) {
  const metrics = createMetrics();
  const ws = new FakeSocket();
  if (opts.closedFirst) ws.readyState = ws.CLOSED;
  const events: string[] = [];
  const failures: string[] = [];
  const stream = new TwilioStream(ws, {
    metrics,
    log: pino({ level: 'silent' }),
    maxMessageBytes: 64 * 1024,
    guard: (fn) => {
      try {
        fn();
      } catch (err) {
        failures.push((err as Error).message);
      }
    },
    events: {
      onStart: (msg) => void events.push(`start:${msg.start.callSid}`),
      onMedia: (_payload, chunk) => void events.push(`media:${chunk}`),
      onMark: (name) => void events.push(`mark:${name}`),
      onDtmf: (digit) => {
        if (digit === '0') throw new Error('handler bug');
        events.push(`dtmf:${digit}`);
      },
      onStop: () => void events.push('stop'),
      onSocketClosed: () => void events.push('closed'),
      onProtocolError: (reason, code) => {
        events.push(`protocol_error:${reason}:${code}`);
        stream.close(code, reason);
      },
    },
  });
  stream.listen();
  const rejected = async (reason: string) =>
    (await metrics.rejected.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { ws, stream, events, failures, rejected, metrics };
}

describe('TwilioStream', () => {
  it('reports the messages of an accepted stream as typed events, in order', () => {
    const t = setup();
    t.ws.message({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    t.ws.message(startMessage(CALL_SID));
    t.stream.accept(STREAM_SID);
    t.ws.message(mediaMessage(1));
    t.ws.message({ ...mediaMessage(2), media: { ...mediaMessage(2).media, track: 'outbound' } });
    t.ws.message(dtmfMessage('7'));
    t.ws.message(markMessage('utterance-1'));
    t.ws.message(stopMessage(CALL_SID));
    expect(t.events).toEqual([`start:${CALL_SID}`, 'media:1', 'dtmf:7', 'mark:utterance-1', 'stop']);
  });

  it('refuses what comes out of order: media before start, a second start, stop before start', async () => {
    const early = setup();
    early.ws.message(stopMessage(CALL_SID));
    expect(early.events).toEqual([]);
    expect(await early.rejected('stop_before_start')).toBe(1);
    early.ws.message(mediaMessage(1));
    expect(early.events).toEqual([`protocol_error:media_before_start:${CloseCode.policyViolation}`]);
    expect(early.ws.closedWith?.code).toBe(CloseCode.policyViolation);

    const twice = setup();
    twice.ws.message(startMessage(CALL_SID));
    twice.ws.message(startMessage(CALL_SID));
    expect(twice.events).toEqual([
      `start:${CALL_SID}`,
      `protocol_error:second_start:${CloseCode.policyViolation}`,
    ]);
  });

  it('refuses messages of another streamSid, counts them, and gives up after too many', async () => {
    const t = setup();
    t.ws.message(startMessage(CALL_SID));
    t.stream.accept(STREAM_SID);
    for (let i = 0; i < MAX_BAD_MESSAGES - 1; i++) t.ws.message(mediaMessage(i, tonePayload(i), OTHER_SID));
    expect(t.events).toEqual([`start:${CALL_SID}`]);
    expect(await t.rejected('wrong_stream_sid')).toBe(MAX_BAD_MESSAGES - 1);
    t.ws.message({ event: 'no-such-event', streamSid: STREAM_SID });
    expect(t.events.at(-1)).toBe(`protocol_error:too many bad messages:${CloseCode.policyViolation}`);
    // Closed: nothing more is reported.
    t.ws.message(mediaMessage(60));
    expect(t.events.filter((e) => e.startsWith('media'))).toEqual([]);
  });

  it('closes on a binary frame and reports the socket closed', async () => {
    const t = setup();
    t.ws.emit('message', Buffer.from('{}'), true);
    expect(t.events).toEqual([`protocol_error:binary_frame:${CloseCode.unsupportedData}`]);
    await Promise.resolve();
    expect(t.events.at(-1)).toBe('closed');
  });

  it('reports a socket that closed before it listened, and counts ws errors', async () => {
    const t = setup({ closedFirst: true });
    expect(t.events).toEqual(['closed']);
    const live = setup();
    live.ws.emit(
      'error',
      Object.assign(new Error('Max payload size exceeded'), { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }),
    );
    live.ws.emit(
      'error',
      Object.assign(new Error('Invalid UTF-8 sequence'), { code: 'WS_ERR_INVALID_UTF8' }),
    );
    expect(await live.rejected('oversized')).toBe(1);
    expect(await live.rejected('invalid_frame')).toBe(1);
  });

  it('sends only while the socket is open, and counts media frames out', async () => {
    const t = setup();
    const media = JSON.stringify({ event: 'media', streamSid: STREAM_SID, media: { payload: '' } });
    t.stream.send(media);
    t.stream.send(JSON.stringify({ event: 'clear', streamSid: STREAM_SID }));
    t.stream.close(CloseCode.normal, 'done');
    t.stream.send(media);
    expect(t.ws.sent.map((m) => m.event)).toEqual(['media', 'clear']);
    expect((await t.metrics.framesOut.get()).values[0]?.value).toBe(1);
  });

  it('hands a throwing handler to the guard and keeps going', () => {
    const t = setup();
    t.ws.message(startMessage(CALL_SID));
    t.stream.accept(STREAM_SID);
    t.ws.message(dtmfMessage('0'));
    t.ws.message(dtmfMessage('1'));
    expect(t.failures).toEqual(['handler bug']);
    expect(t.events).toEqual([`start:${CALL_SID}`, 'dtmf:1']);
  });
});
