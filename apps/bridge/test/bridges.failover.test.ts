/**
 * A bridge killed mid-call (SIGKILL, its own process) does not end the call: Twilio goes on with
 * the TwiML after `<Connect>` and requests /twilio/stream-ended, which the "load balancer" (the
 * Twilio simulator's URL rewrite) now sends to the surviving bridge; that bridge answers with a new
 * `<Connect><Stream>` into the same room, the phone rejoins under the same identity (replacing the
 * dead bridge's participant), the agent is still there and the call goes on. Prints the gap the
 * caller heard (kill → first agent audio on the new stream, checked to be the agent's tone) as JSON.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decimate, rmsDbfs, segmentedCorrelation, speechPcm } from '@callbridge/testkit/audio-fixtures';
import {
  freeTcpPort,
  recordRemoteAudio,
  startLiveKitServer,
  type LiveKitServer,
} from '@callbridge/testkit/livekit';
import { startPostgres, type PostgresServer } from '@callbridge/testkit/postgres';
import { startNodeApp, type NodeApp } from '@callbridge/testkit/process';
import { isProgressMark, sharedFrameClock, TwilioSimulator } from '@callbridge/testkit/twilio';
import { dispose, type RemoteParticipant } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AUTH_TOKEN, startTestBridge, waitFor, type TestBridge } from './_harness.js';
import { joinStandIn, speak } from './_stand-in.js';
import { keepPlaying, lastHeard, toneProminence } from './_tones.js';

const bridgeMain = join(dirname(fileURLToPath(import.meta.url)), '../src/main.ts');
const SECRET = 'failover-stream-token-secret-0123456789';
/**
 * A steady tone stands out of its neighbourhood by hundreds to thousands; speech or silence by
 * about 1. A stream's first second can hold the jitter of its start (clicks lower the ratio), so
 * the bar for "the agent's tone, not noise" is well below steady state and far above anything else.
 */
const TONE_HEARD = 10;

let lk: LiveKitServer;
let pg: PostgresServer;
let a: TestBridge;
let b: NodeApp | undefined;
let bUrl: string;

beforeAll(async () => {
  [lk, pg] = await Promise.all([startLiveKitServer(), startPostgres()]);
  const shared = {
    DATABASE_URL: await pg.createDatabase('failover'),
    STREAM_TOKEN_SECRET: SECRET,
    ANSWER_WAIT_FOR_AGENT_S: '0',
  };
  a = await startTestBridge(lk, { ...shared, BRIDGE_INSTANCE_ID: 'bridge-a' });
  const port = await freeTcpPort();
  bUrl = `http://127.0.0.1:${port}`;
  b = startNodeApp({
    name: 'bridge-b',
    entry: bridgeMain,
    env: {
      ...shared,
      LIVEKIT_URL: lk.url,
      LIVEKIT_API_KEY: lk.apiKey,
      LIVEKIT_API_SECRET: lk.apiSecret,
      HOST: '127.0.0.1',
      PORT: String(port),
      // The balancer's address, the same for both (Twilio signs it): A's.
      PUBLIC_URL: a.publicUrl,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      BRIDGE_INSTANCE_ID: 'bridge-b',
      LOG_LEVEL: 'info',
    },
  });
  await b.waitForLog('bridge listening', (e) => e.msg === 'bridge listening', 30_000);
}, 60_000);

afterAll(async () => {
  await b?.stop('SIGKILL').catch(() => undefined);
  await a?.close();
  await lk?.stop();
  await pg?.stop();
  await dispose();
});

it('keeps a call going when the bridge carrying it is killed', async () => {
  // The balancer: everything to B while it lives, to A once it is dead.
  let alive: 'a' | 'b' = 'b';
  const base = { a: a.publicUrl, b: bUrl };
  const toB = (url: string) =>
    url.replace(base.a, base.b).replace(base.a.replace(/^http/, 'ws'), base.b.replace(/^http/, 'ws'));
  const sim = new TwilioSimulator({
    authToken: AUTH_TOKEN,
    rewriteUrl: (url) => (alive === 'b' ? toB(url) : url),
  });
  const call = await sim.placeInboundCall({
    voiceUrl: `${a.publicUrl}/twilio/voice`,
    statusCallbackUrl: `${a.publicUrl}/twilio/status`,
    from: '+15551230007',
    to: '+15559870000',
  });
  const standIn = await joinStandIn(lk, call.callSid, { kind: 'agent' });
  // Synthesized before anything is timed: espeak-ng runs synchronously and stalls this process.
  const speech48 = speechPcm({ text: 'Sorry about that. Where were we?', sampleRate: 48_000 });
  const callerSpeech = speechPcm({ text: 'I was asking about my order.', sampleRate: 8000 });
  const agentStateOnA = () => a.bridge.live.all().find((c) => c.callSid === call.callSid)?.agentState;
  const utteranceMarks = () => call.marksEchoed.filter((m) => !isProgressMark(m)).length;
  const phoneOf = () =>
    [...standIn.agent.room.remoteParticipants.values()].find((p) => p.identity.startsWith('phone-'));
  let stopTone: (() => Promise<void>) | undefined;
  try {
    const first = await waitFor('phone participant from B', phoneOf);
    expect(a.bridge.registry.active).toBe(0); // B answered and carries it

    // The agent talks non-stop; the caller hears it through B.
    await standIn.setState('speaking');
    stopTone = keepPlaying(standIn.source, 440);
    await waitFor('the tone heard through B', () => {
      const pcm = lastHeard(call, 400);
      return pcm && toneProminence(pcm, 440) > TONE_HEARD;
    });

    alive = 'a';
    const killedAt = performance.now();
    b!.signal('SIGKILL');
    expect(await b!.exited).toBeNull(); // killed: nothing ran on the way out
    b = undefined;

    // Twilio's request after <Connect> reached A, which reconnected the caller into the same room.
    await call.waitForStream(2);
    const onset = await call.waitForAudioOnset(killedAt);
    const from = Math.round(((onset - call.heardStartedAtMs) / 1000) * 8000);
    await waitFor('1 s heard after the gap', () => call.heardPcm().length >= from + 8000);
    // The first audio after the gap is the agent's tone, not noise.
    const toneAfterGap = toneProminence(call.heardPcm().subarray(from, from + 8000), 440);
    expect(toneAfterGap).toBeGreaterThan(TONE_HEARD);
    const gapMs = Math.round(onset - killedAt);

    // The same agent connection, the phone back under the same identity (a new participant that
    // replaced the dead bridge's), carried by A.
    const second = await waitFor('the phone rejoined', () => {
      const p = phoneOf();
      return p && p.sid !== first.sid ? p : undefined;
    });
    expect(second.identity).toBe(first.identity);
    expect(
      [...standIn.agent.room.remoteParticipants.values()].filter((p) => p.identity === first.identity),
    ).toHaveLength(1);
    expect(a.bridge.registry.get(call.callSid)?.streamSid).toBe(call.streamSids[1]);
    const toneMarks = utteranceMarks();
    await stopTone();
    stopTone = undefined;
    await standIn.setState('listening');
    // The tone's utterance ends (its silent tail) and the caller has heard it to its end.
    await waitFor('the tone’s utterance heard to its end', () => utteranceMarks() > toneMarks);

    // The turn after it: the agent's speech reaches the caller, the caller's reaches the agent.
    const marks = utteranceMarks();
    const heardFrom = call.heardPcm().length;
    // Where the heard timeline (one 8 kHz frame per 20 ms tick since heardStartedAtMs) is now,
    // counting ticks a stall of this process has not played yet: the turn starts here.
    const saidAtSample = Math.round(((performance.now() - call.heardStartedAtMs) / 1000) * 8000);
    await standIn.setState('speaking');
    // The bridge knows the agent speaks before its words come: one utterance, whatever its pauses
    // (on a loaded machine the attribute can trail the audio, and a pause then ended the utterance).
    await waitFor('bridge A sees the agent speaking', () => agentStateOnA() === 'speaking');
    await speak(standIn.source, speech48);
    await standIn.setState('listening');
    await waitFor('the speech’s utterance heard to its end', () => utteranceMarks() > marks);
    const down = segmentedCorrelation(decimate(speech48, 6), call.heardPcm().slice(heardFrom), 2000);
    expect(down.median).toBeGreaterThan(0.75);
    // When the caller heard the turn's speech begin, found by its content (the median lag of its
    // segments after `heardFrom`), not by the first audio onset: that missed the speech's start
    // whenever it followed the tone's tail without a silent frame, and named a pause between words.
    const turnAfterMs = Math.round((heardFrom + median(down.lags) - saidAtSample) / 8);

    const recording = await recordRemoteAudio(standIn.agent.room, {
      from: (p: RemoteParticipant) => p.sid === second.sid,
    });
    await call.sendAudio(new Int16Array(4000));
    await call.sendAudio(callerSpeech);
    await call.sendAudio(new Int16Array(8000));
    await waitFor('the caller heard in the room', () => {
      const pcm = recording.samples();
      return pcm.length >= callerSpeech.length * 6 && rmsDbfs(pcm, pcm.length - 19_200) < -50;
    });
    const up = segmentedCorrelation(callerSpeech, decimate(recording.samples(), 6), 2000);
    recording.stop();
    expect(up.median).toBeGreaterThan(0.75);

    console.log(
      JSON.stringify({
        bridge_failover: {
          gap_ms: gapMs,
          gap_target_ms: 2000,
          tone_prominence_after_gap: Math.round(toneAfterGap),
          turn_after_ms: turnAfterMs,
          test_process_max_stall_ms: Math.round(sharedFrameClock.stats.maxLatenessMs),
          agent_to_caller_correlation: Number(down.median.toFixed(2)),
          caller_to_agent_correlation: Number(up.median.toFixed(2)),
        },
      }),
    );
    expect(call.violations).toEqual([]);
  } finally {
    await stopTone?.();
    await call.hangup();
    await standIn.agent.disconnect();
  }

  // One call in the records, with the gap in its history, ended truthfully by A.
  const store = await a.bridge.store;
  await waitFor('the ending recorded', async () => (await store.get(call.callSid))?.outcome);
  const record = (await store.get(call.callSid))!;
  expect(record).toMatchObject({ outcome: 'caller_hung_up', instanceId: 'bridge-a' });
  const statuses = (await store.statusEvents(call.callSid)).map((s) => s.status);
  expect(statuses.filter((s) => s === 'stream-lost')).toHaveLength(1);
  expect(statuses.filter((s) => s === 'stream-started')).toHaveLength(2);
  expect(statuses.indexOf('stream-lost')).toBeLessThan(statuses.lastIndexOf('stream-started'));
  expect((await store.list({ limit: 100 })).filter((r) => r.callSid === call.callSid)).toHaveLength(1);
  const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
  await waitFor('room deleted', async () => (await rooms.listRooms([`call-${call.callSid}`])).length === 0);
});

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
