import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispose } from '@livekit/rtc-node';
import {
  connectParticipant,
  freeTcpPort,
  startLiveKitServer,
  type LiveKitServer,
} from '@callbridge/testkit/livekit';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { startNodeApp, type NodeApp } from '@callbridge/testkit/process';
import { TwilioSimulator } from '@callbridge/testkit/twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TOKEN, waitFor } from './_harness.js';
import { API_KEY, apiClient } from './_records-harness.js';

const bridgeMain = join(dirname(fileURLToPath(import.meta.url)), '../src/main.ts');

let lk: LiveKitServer;
let pg: PostgresServer;
const dir = mkdtempSync(join(tmpdir(), 'callbridge-crash-'));

beforeAll(async () => {
  lk = await startLiveKitServer();
  pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  await lk?.stop();
  await pg?.stop();
  await dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The bridge as its own process, so the test can kill it the hard way. */
async function startBridgeProcess(port: number, db: Record<string, string>): Promise<NodeApp> {
  const app = startNodeApp({
    name: 'bridge',
    entry: bridgeMain,
    env: {
      LIVEKIT_URL: lk.url,
      LIVEKIT_API_KEY: lk.apiKey,
      LIVEKIT_API_SECRET: lk.apiSecret,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      BRIDGE_INSTANCE_ID: 'bridge-under-test',
      API_KEY,
      LOG_LEVEL: 'info',
      ...db,
    },
  });
  await app.waitForLog('bridge listening', (e) => e.msg === 'bridge listening', 30_000);
  return app;
}

describe.each(['sqlite', 'postgres'] as const)('a bridge killed mid-call (%s)', (backend) => {
  it('leaves the record with what was said so far, marked interrupted after the restart', async () => {
    const db: Record<string, string> =
      backend === 'postgres'
        ? { DATABASE_URL: await pg.createDatabase('crash') }
        : { SQLITE_PATH: join(dir, 'calls.sqlite') };
    const port = await freeTcpPort();
    const url = `http://127.0.0.1:${port}`;
    const api = apiClient(url);
    let bridge = await startBridgeProcess(port, db);
    const sim = new TwilioSimulator({ authToken: AUTH_TOKEN });
    const call = await sim.placeInboundCall({
      voiceUrl: `${url}/twilio/voice`,
      statusCallbackUrl: `${url}/twilio/status`,
      from: '+15551230009',
      to: '+15559870000',
    });
    const agent = await connectParticipant(lk, `call-${call.callSid}`, 'agent-standin');
    try {
      await agent.publishMicrophone();
      // Text streams reach only the participants in the room when they are sent.
      await waitFor('phone participant', () =>
        [...agent.room.remoteParticipants.keys()].some((id) => id.startsWith('phone-')),
      );
      const lp = agent.room.localParticipant!;
      const track = [...lp.trackPublications.values()][0]!.sid!;
      await lp.sendText('Thanks for calling, what is your member ID?', {
        topic: 'lk.transcription',
        attributes: { 'lk.transcribed_track_id': track, 'lk.transcription_final': 'false' },
      });
      const t = Date.now();
      await lp.sendText(
        JSON.stringify({
          name: 'check_eligibility',
          arguments: { member_id: 'MB123456' },
          error: 'timeout',
          startedAt: t,
          endedAt: t + 1,
        }),
        { topic: 'callbridge.tool_calls' },
      );
      // Written while the call runs, not at its end.
      await api.waitForCall(call.callSid, (c) => c.transcript.length === 1 && c.tool_calls.length === 1);

      bridge.signal('SIGKILL');
      expect(await bridge.exited).toBeNull(); // killed, no exit code: nothing ran on the way out

      bridge = await startBridgeProcess(port, db);
      const notice = await bridge.waitForLog('interrupted notice', (e) => Array.isArray(e.calls));
      expect(notice.calls).toEqual([call.callSid]);
      const record = await api.waitForCall(call.callSid, () => true);
      expect(record).toMatchObject({
        sid: call.callSid,
        direction: 'inbound',
        from: '+15551230009',
        outcome: 'interrupted',
        outcome_reason: 'the bridge stopped while the call was live (found unfinished at start)',
        transcript: [{ speaker: 'agent', text: 'Thanks for calling, what is your member ID?' }],
        tool_calls: [{ name: 'check_eligibility', arguments: { member_id: 'MB123456' }, error: 'timeout' }],
      });
      expect(Date.parse(record.ended_at)).toBeGreaterThan(Date.parse(record.stream_started_at));
    } finally {
      await agent.disconnect();
      await sim.hangupAll().catch(() => undefined);
      await bridge.stop('SIGINT');
    }
  });
});
