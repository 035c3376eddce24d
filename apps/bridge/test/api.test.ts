import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { connectParticipant, startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './_harness.js';
import { API_KEY, readSse, startOutboundBridge } from './_records-harness.js';

let lk: LiveKitServer;
let pg: PostgresServer;
const dir = mkdtempSync(join(tmpdir(), 'callbridge-api-'));

beforeAll(async () => {
  // One after the other: each picks a free port, and two at once could pick the same one.
  lk = await startLiveKitServer();
  pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  await lk?.stop();
  await pg?.stop();
  await dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('API authentication', () => {
  it('refuses requests without the bearer key, with a wrong key, and everything while API_KEY is unset', async () => {
    const ob = await startOutboundBridge(lk);
    const off = await startOutboundBridge(lk, { env: { API_KEY: '' } });
    try {
      const missing = await ob.api.request('GET', '/api/calls', undefined, null);
      expect(missing.status).toBe(401);
      expect(missing.body.error).toEqual({
        code: 'unauthorized',
        message: 'send the API key as "Authorization: Bearer <API_KEY>"',
      });
      const wrong = await ob.api.request(
        'POST',
        '/api/calls',
        { to: '+15554440001', task: 'x' },
        'not-the-key-0123456789abcdef',
      );
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.message).toBe('the API key is not one of the keys in API_KEY');
      const events = await readSse(
        `${ob.tb.publicUrl}/api/calls/CA${'0'.repeat(32)}/events`,
        'not-the-key-0123456789abcdef',
      );
      expect(events.status).toBe(401);
      expect(ob.rest.calls.size).toBe(0); // nothing was placed
      const disabled = await off.api.request('GET', '/api/calls');
      expect(disabled.status).toBe(503);
      expect(disabled.body.error).toMatchObject({ code: 'api_off' });
      expect((await ob.api.request('GET', '/api/calls')).status).toBe(200);
      expect(API_KEY.length).toBeGreaterThanOrEqual(24);
    } finally {
      await ob.close();
      await off.close();
    }
  });
});

describe.each(['sqlite', 'postgres'] as const)('call records of inbound calls (%s)', (backend) => {
  it('records an inbound call with its transcript and lists it with filters and paging', async () => {
    const env: Record<string, string> =
      backend === 'postgres'
        ? { DATABASE_URL: await pg.createDatabase('api_inbound') }
        : { SQLITE_PATH: join(dir, 'api.sqlite') };
    const ob = await startOutboundBridge(lk, { env });
    try {
      const calls = [];
      for (const from of ['+15551230001', '+15551230002', '+15551230001']) {
        const call = await ob.tb.placeCall({ from });
        const agent = await connectParticipant(lk, `call-${call.callSid}`, 'agent-standin');
        await agent.publishMicrophone();
        // Text streams reach only the participants in the room when they are sent.
        await waitFor('phone participant', () =>
          [...agent.room.remoteParticipants.keys()].some((id) => id.startsWith('phone-')),
        );
        const track = [...agent.room.localParticipant!.trackPublications.values()][0]!.sid!;
        await agent.room.localParticipant!.sendText(`Hello ${from}, how can I help?`, {
          topic: 'lk.transcription',
          attributes: { 'lk.transcribed_track_id': track, 'lk.transcription_final': 'false' },
        });
        await waitFor('line recorded', async () => {
          const r = await ob.api.request('GET', `/api/calls/${call.callSid}`);
          return r.body?.transcript?.length === 1 || undefined;
        });
        await call.hangup();
        await agent.disconnect();
        calls.push(call);
      }
      const [first] = calls;
      const record = await ob.api.waitForCall(first!.callSid, (c) => c.outcome !== null);
      expect(record).toMatchObject({
        sid: first!.callSid,
        direction: 'inbound',
        from: '+15551230001',
        to: '+15559870000',
        status: 'completed',
        outcome: 'caller_hung_up',
        outcome_reason: 'twilio stop',
        room: `call-${first!.callSid}`,
        transcript: [
          { speaker: 'agent', identity: 'agent-standin', text: 'Hello +15551230001, how can I help?' },
        ],
        tool_calls: [],
      });
      for (const key of ['created_at', 'webhook_at', 'stream_started_at', 'ended_at']) {
        expect(Date.parse(record[key])).toBeGreaterThan(0);
      }

      const byNumber = await ob.api.request('GET', '/api/calls?number=%2B15551230001&limit=1');
      expect(byNumber.status).toBe(200);
      expect(byNumber.body.calls.map((c: { sid: string }) => c.sid)).toEqual([calls[2]!.callSid]);
      const page2 = await ob.api.request(
        'GET',
        `/api/calls?number=%2B15551230001&limit=1&cursor=${byNumber.body.next_cursor}`,
      );
      expect(page2.body.calls.map((c: { sid: string }) => c.sid)).toEqual([first!.callSid]);
      const all = await ob.api.request('GET', '/api/calls?status=completed&direction=inbound');
      expect(all.body.calls).toHaveLength(3);
      expect(all.body.next_cursor).toBeNull();
      const future = await ob.api.request(
        'GET',
        `/api/calls?since=${new Date(Date.now() + 60_000).toISOString()}`,
      );
      expect(future.body.calls).toEqual([]);
      // Search in what was said: case-insensitive, LIKE's wildcards taken literally.
      const said = await ob.api.request('GET', `/api/calls?text=${encodeURIComponent('HELLO +15551230002')}`);
      expect(said.body.calls.map((c: { sid: string }) => c.sid)).toEqual([calls[1]!.callSid]);
      expect((await ob.api.request('GET', '/api/calls?text=how%20can')).body.calls).toHaveLength(3);
      expect((await ob.api.request('GET', '/api/calls?text=%25')).body.calls).toEqual([]);
      expect((await ob.api.request('GET', '/api/calls?text=h_w')).body.calls).toEqual([]);

      const badQuery = await ob.api.request('GET', '/api/calls?status=sleeping&limit=1000');
      expect(badQuery.status).toBe(400);
      expect(badQuery.body.error.code).toBe('invalid_query');
      expect((await ob.api.request('GET', `/api/calls/CA${'f'.repeat(32)}`)).status).toBe(404);
      expect((await ob.api.request('GET', '/api/calls/not-a-sid')).status).toBe(400);
    } finally {
      await ob.close();
    }
  });
});
