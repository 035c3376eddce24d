// Regressions: bugs the fuzz suite found in the bridge, each reproduced exactly as it was found.
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawStream, rawRequest } from './_fuzz-client.js';
import { metricValue, startTestBridge, waitFor, type TestBridge } from './_harness.js';

let lk: LiveKitServer;
let tb: TestBridge;
beforeAll(async () => {
  lk = await startLiveKitServer();
  tb = await startTestBridge(lk, { LOG_LEVEL: 'error' });
});
afterAll(async () => {
  await tb?.close();
  await lk?.stop();
  await dispose();
});
const streamUrl = () => `${tb.publicUrl.replace(/^http/, 'ws')}/twilio/media`;
const rejected = (reason?: string) =>
  metricValue(tb.bridge, 'callbridge_rejected_total', reason ? { reason } : {});
const closedWithin = (p: Promise<number>, ms: number) =>
  Promise.race([p, new Promise<number>((r) => setTimeout(() => r(-1), ms))]);

describe('fuzz-found regressions', () => {
  it('a binary frame is refused (binary_frame, close 1003), even when it holds valid JSON', async () => {
    const s = await openRawStream(streamUrl());
    s.ws.send(Buffer.from(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' })), {
      binary: true,
    });
    expect(await closedWithin(s.closed, 3000)).toBe(1003);
    expect(await rejected('binary_frame')).toBe(1);
  });

  it('a message over MAX_MESSAGE_BYTES is counted (oversized) when the socket is closed with 1009', async () => {
    const before = await rejected();
    const s = await openRawStream(streamUrl());
    s.ws.send(JSON.stringify({ event: 'media', padding: 'x'.repeat(70_000) }));
    expect(await closedWithin(s.closed, 3000)).toBe(1009);
    expect(await rejected()).toBe(before + 1);
  });

  it('a text frame with invalid UTF-8 is counted when the socket is closed over it', async () => {
    const before = await rejected();
    const s = await openRawStream(streamUrl());
    s.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    const code = await closedWithin(s.closed, 3000);
    expect(code).not.toBe(-1);
    expect(await rejected()).toBe(before + 1);
  });
});

describe('fuzz-found regressions: webhooks', () => {
  it('a webhook refused by the body parser (413/415) is counted and answers without a stack trace', async () => {
    const before = await rejected();
    const big = await rawRequest(`${tb.publicUrl}/twilio/voice`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
      body: 'From=' + 'x'.repeat(40_000),
    });
    const charset = await rawRequest(`${tb.publicUrl}/twilio/status`, {
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=nope',
        'x-twilio-signature': 'x',
      },
      body: 'a=b',
    });
    expect([big.status, charset.status]).toEqual([413, 415]);
    expect(big.body + charset.body).not.toMatch(/node_modules|at \w+ \(/);
    expect(await rejected()).toBe(before + 2);
  });
});

describe('fuzz-found regressions: rooms', () => {
  it('a stream that ends while the phone is joining leaves no room behind', async () => {
    const { RoomServiceClient } = await import('livekit-server-sdk');
    const { signedForm, streamTokenOf, voiceForm } = await import('./_fuzz-client.js');
    const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    const endedBefore = await metricValue(tb.bridge, 'callbridge_calls_total');
    const sids = Array.from(
      { length: 8 },
      (_, i) => 'CA' + String(i).repeat(32).slice(0, 32).padEnd(32, 'a'),
    );
    await Promise.all(
      sids.map(async (callSid) => {
        const answer = await signedForm(
          `${tb.publicUrl}/twilio/voice`,
          voiceForm(callSid, 'AC' + 'c'.repeat(32)),
        );
        const streamSid = 'MZ' + callSid.slice(2);
        const s = await openRawStream(streamUrl());
        s.ws.send(
          JSON.stringify({
            event: 'start',
            sequenceNumber: '1',
            streamSid,
            start: {
              streamSid,
              accountSid: 'AC' + 'c'.repeat(32),
              callSid,
              tracks: ['inbound'],
              customParameters: { callSid, streamToken: streamTokenOf(answer.body) },
              mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
            },
          }),
        );
        // The caller hangs up at once: the bridge is still joining the room.
        s.ws.close();
        await s.closed;
      }),
    );
    // Each call ends exactly once (the bridge's own end-of-call count), and leaves the registry.
    await waitFor(
      'the 8 calls ended',
      async () => (await metricValue(tb.bridge, 'callbridge_calls_total')) >= endedBefore + sids.length,
    );
    expect(await metricValue(tb.bridge, 'callbridge_calls_total')).toBe(endedBefore + sids.length);
    await waitFor('the registry empty', () => tb.bridge.registry.active === 0);
    // No room stays behind. (A late join that re-created a room and stayed in it keeps the room
    // forever and fails this wait; an empty one would go by LiveKit's departure timeout.)
    const left = () =>
      rooms
        .listRooms()
        .then((all) => all.map((r) => r.name).filter((n) => sids.some((sid) => n === `call-${sid}`)));
    await waitFor("the calls' rooms deleted", async () => (await left()).length === 0).catch(
      async (err: Error) => {
        throw new Error(`${err.message}: ${(await left()).join(', ')}`);
      },
    );
  });
});
