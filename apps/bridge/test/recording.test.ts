// Call recording with the real bridge in this process, a real livekit-server, a stand-in agent and
// the Twilio simulator: the two-channel WAV holds the caller on channel 1 and the agent on channel
// 2 (content-checked both ways), time-aligned; it parses mid-call; the recording notice is said
// before the stream; the API serves it (and writes the access into the record); the retention
// sweep deletes old recordings and their link; with RECORD_CALLS off there is no file.
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decimate, readWav, speechPcm } from '@callbridge/testkit/audio-fixtures';
import { isProgressMark } from '@callbridge/testkit/twilio';
import { afterAll, describe, expect, it } from 'vitest';
import { bridgeOnLiveKit, startTestBridge, waitFor } from './_harness.js';
import { API_KEY, apiClient, startOutboundBridge } from './_records-harness.js';
import { joinStandIn, speak } from './_stand-in.js';
import { channel, loudPart, loudSpan, trackedCorrelation } from './_recording-audio.js';

const dir = mkdtempSync(join(tmpdir(), 'callbridge-recordings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOTICE = 'This call is recorded for quality and training.';
const env = { API_KEY, RECORD_CALLS: 'true', RECORDINGS_DIR: dir, RECORDING_NOTICE: NOTICE };
const t = bridgeOnLiveKit(env);

const CALLER_SPEECH = speechPcm({
  text: 'I would like to book an appointment for Tuesday.',
  sampleRate: 8000,
});
const AGENT_SPEECH_48 = speechPcm({
  text: 'Thanks for calling. Your appointment is confirmed.',
  sampleRate: 48_000,
});
const AGENT_SPEECH = decimate(AGENT_SPEECH_48, 6);

describe('call recording', () => {
  it('records the caller on channel 1 and the agent on channel 2, time-aligned, readable mid-call', async () => {
    const { tb, lk } = t;
    const call = await tb.placeCall();
    // The notice is the first verb: Twilio says it to the caller before the stream connects.
    expect(call.twiml?.summary.verbs.slice(0, 2)).toEqual(['Say', 'Connect']);
    expect(call.said).toEqual([NOTICE]);
    const standIn = await joinStandIn(lk, call.callSid);
    const path = join(dir, `${call.callSid}.wav`);
    let snapshot: Int16Array = new Int16Array(0);
    try {
      await call.sendAudio(new Int16Array(4000)); // half a second of line silence
      await call.sendAudio(CALLER_SPEECH);
      await standIn.setState('speaking');
      await speak(standIn.source, AGENT_SPEECH_48);
      await standIn.setState('listening');
      await waitFor('the agent utterance heard to its end', () =>
        call.marksEchoed.some((m) => !isProgressMark(m)),
      );
      // Mid-call, the file on disk is a valid WAV whose header says how much it holds, and that
      // holds both sides so far (the bridge writes it out once a second).
      const mid = await waitFor(
        'both sides in the file on disk',
        () => {
          // The bridge creates the file and writes its header first: before that it is empty.
          const wav = existsSync(path) && statSync(path).size >= 44 ? readWav(path) : undefined;
          const agent = wav && loudSpan(channel(wav.samples, 1));
          return agent && agent.to + 1600 < wav.samples.length / 2 ? wav : undefined;
        },
        { intervalMs: 200 },
      );
      expect(mid.channels).toBe(2);
      expect(mid.sampleRate).toBe(8000);
      snapshot = mid.samples;
    } finally {
      await standIn.agent.disconnect();
      await call.hangup();
    }
    // What the file held mid-call, checked once the call is over (correlating is CPU work that
    // would hold up the live call in this process).
    const caller = channel(snapshot, 0);
    const agent = channel(snapshot, 1);
    const callerPart = loudPart(caller);
    const agentPart = loudPart(agent);
    // At 4 kHz (a quarter of the work at 8 kHz; the words are still there), 250 ms segments.
    const match = (reference: Int16Array, received: Int16Array) =>
      trackedCorrelation(decimate(reference, 2), decimate(received, 2), 1000);
    const own = { caller: match(CALLER_SPEECH, callerPart), agent: match(AGENT_SPEECH, agentPart) };
    const crossed = { caller: match(AGENT_SPEECH, callerPart), agent: match(CALLER_SPEECH, agentPart) };
    const callerSpan = loudSpan(caller)!;
    const agentSpan = loudSpan(agent)!;
    console.log(
      JSON.stringify({
        caller_channel: { own: own.caller.median, other: crossed.caller.median },
        agent_channel: { own: own.agent.median, other: crossed.agent.median },
        caller_speech_s: [callerSpan.from / 8000, callerSpan.to / 8000],
        agent_speech_s: [agentSpan.from / 8000, agentSpan.to / 8000],
      }),
    );
    // Channel 1 is the caller's words as sent (μ-law, no resampling), channel 2 the agent's as
    // the caller heard them; the other side's speech scores about 0.5 (≈ 0.45 measured).
    for (const m of [own.caller, own.agent]) {
      expect(m.peaks.length).toBeGreaterThan(5);
      expect(m.median).toBeGreaterThan(0.75);
    }
    expect(crossed.caller.median).toBeLessThan(0.65);
    expect(crossed.agent.median).toBeLessThan(0.65);
    // Time-aligned: the agent spoke after the caller had finished, and the file says so (the
    // agent's channel is silent while the caller speaks; no audio was appended back to back).
    expect(agentSpan.from).toBeGreaterThanOrEqual(callerSpan.to);
    expect(callerSpan.from).toBeGreaterThanOrEqual(3600); // after the half second of silence

    // Once the call ended, the record links the finished file and the API serves it.
    const api = apiClient(tb.publicUrl);
    const record = await api.waitForCall(call.callSid, (c) => c.outcome !== null && c.recording !== null);
    const onDisk = readFileSync(path);
    expect(record.recording).toEqual({
      url: `/api/calls/${call.callSid}/recording`,
      bytes: onDisk.length,
      duration_ms: Math.round(((onDisk.length - 44) / 4 / 8000) * 1000),
    });
    // It spans the call: stream start to hang-up, the silence after the agent included (and no
    // more than the agent audio still queued for the caller at the end: the phone's backlog
    // is at most 200 ms).
    expect(record.recording.duration_ms).toBeLessThanOrEqual(record.duration_ms + 250);
    expect(record.recording.duration_ms).toBeGreaterThan(record.duration_ms * 0.9);
    const res = await fetch(`${tb.publicUrl}${record.recording.url}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await res.arrayBuffer()).equals(onDisk)).toBe(true);
    await api.waitForCall(call.callSid, (c) => c.operator_actions.length > 0);
    // A player's later range requests are the same listen: not written again.
    const ranged = await fetch(`${tb.publicUrl}${record.recording.url}`, {
      headers: { authorization: `Bearer ${API_KEY}`, range: 'bytes=44-1043' },
    });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(onDisk.subarray(44, 1044))).toBe(true);
    await fetch(`${tb.publicUrl}${record.recording.url}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const after = await api.waitForCall(call.callSid, (c) => c.operator_actions.length > 1);
    expect(after.operator_actions).toEqual([
      expect.objectContaining({ operator: 'api-key', action: 'recording', result: 'ok' }),
      expect.objectContaining({ operator: 'api-key', action: 'recording', result: 'ok' }),
    ]);
    const unauthenticated = await api.request('GET', record.recording.url, undefined, null);
    expect(unauthenticated.status).toBe(401);

    // Retention: a recording older than RECORDINGS_RETENTION_DAYS (30) goes, with its link.
    const old = new Date(Date.now() - 31 * 86_400_000);
    utimesSync(path, old, old);
    const fresh = join(dir, `CA${'f'.repeat(32)}.wav`);
    writeFileSync(fresh, onDisk);
    await expect(tb.bridge.recordings.sweep()).resolves.toBe(1);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    const swept = await api.request('GET', `/api/calls/${call.callSid}`);
    expect(swept.body.recording).toBeNull();
    const gone = await api.request('GET', record.recording.url);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toEqual({
      code: 'no_recording',
      message: expect.stringContaining('deleted by retention'),
    });
  });

  it('sweeps old recordings when a bridge starts', async () => {
    const startDir = mkdtempSync(join(tmpdir(), 'callbridge-recordings-start-'));
    const old = join(startDir, `CA${'a'.repeat(32)}.wav`);
    writeFileSync(old, 'RIFF');
    const past = new Date(Date.now() - 8 * 86_400_000);
    utimesSync(old, past, past);
    const other = await startTestBridge(t.lk, {
      ...{ RECORD_CALLS: 'true', RECORDINGS_DIR: startDir, RECORDINGS_RETENTION_DAYS: '7' },
    });
    try {
      expect(readdirSync(startDir)).toEqual([]);
    } finally {
      await other.close();
      rmSync(startDir, { recursive: true, force: true });
    }
  });

  it('says the notice to the callee of an outbound call too, before its stream', async () => {
    const ob = await startOutboundBridge(t.lk, { env: { ...env, RECORDINGS_DIR: join(dir, 'outbound') } });
    try {
      const placed = await ob.api.request('POST', '/api/calls', { to: '+15554440001', task: 'Say hello.' });
      expect(placed.status).toBe(201);
      const rest = await ob.rest.waitForCall((c) => c.request.callSid === placed.body.sid && c.call !== null);
      const call = rest.call!;
      const twiml = await waitFor('the voice webhook answered', () => call.twiml);
      expect(twiml.summary.verbs.slice(0, 2)).toEqual(['Say', 'Connect']);
      expect(call.said).toEqual([NOTICE]);
      await call.hangup();
    } finally {
      await ob.close();
    }
  });

  it('records nothing and says no notice when RECORD_CALLS is off (the default)', async () => {
    const offDir = join(dir, 'off');
    const other = await startTestBridge(t.lk, { API_KEY, RECORDINGS_DIR: offDir });
    try {
      const call = await other.placeCall();
      expect(call.said).toEqual([]);
      expect(call.twiml?.summary.verbs[0]).toBe('Connect');
      await call.sendAudio(CALLER_SPEECH.subarray(0, 8000));
      await call.hangup();
      const api = apiClient(other.publicUrl);
      const record = await api.waitForCall(call.callSid, (c) => c.outcome !== null);
      expect(record.recording).toBeNull();
      expect(existsSync(offDir)).toBe(false);
      const res = await api.request('GET', `/api/calls/${call.callSid}/recording`);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain('call recording is off (RECORD_CALLS)');
    } finally {
      await other.close();
    }
  });
});
