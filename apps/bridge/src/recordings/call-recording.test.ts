import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { muLawEncode } from '@callbridge/audio';
import { readWav } from '@callbridge/testkit/audio-fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { CallRecording, RECORDING_BYTES_PER_SECOND } from './call-recording.js';
import { sweepRecordings } from './retention.js';
import { AGENT_TRACK, CALLER_TRACK, TwoTrackTimeline } from './two-track-timeline.js';

const log = createLogger('silent');
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-rec-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A 20 ms frame of one constant value. */
const frame = (value: number) => new Int16Array(160).fill(value);
/** Channel `ch` of interleaved stereo. */
const channel = (s: Int16Array, ch: number) => s.filter((_, i) => i % 2 === ch);

describe('TwoTrackTimeline', () => {
  it('puts each frame where the clock says, fills the silent side, and queues a burst', () => {
    let now = 0;
    const t = new TwoTrackTimeline({ now: () => now });
    t.write(CALLER_TRACK, frame(100)); // 0..160
    now = 20;
    t.write(CALLER_TRACK, frame(101)); // 160..320
    now = 100; // the agent starts 100 ms in: 800
    t.write(AGENT_TRACK, frame(200));
    t.write(AGENT_TRACK, frame(201)); // a burst: queued after the first (960..1120)
    now = 1000; // the caller stalled 900 ms: past the tolerance, so it starts at the clock
    t.write(CALLER_TRACK, frame(102));
    const out = t.take(true)!;
    const caller = channel(out, 0);
    const agent = channel(out, 1);
    expect(caller.length).toBe(8160);
    expect([caller[0], caller[159], caller[160], caller[320], caller[7999], caller[8000]]).toEqual([
      100, 100, 101, 0, 0, 102,
    ]);
    expect([agent[799], agent[800], agent[959], agent[960], agent[1119], agent[1120]]).toEqual([
      0, 200, 200, 201, 201, 0,
    ]);
  });

  it('a frame a little late (jitter within the tolerance) follows the last one without a gap', () => {
    let now = 0;
    const t = new TwoTrackTimeline({ now: () => now });
    t.write(CALLER_TRACK, frame(1));
    now = 55; // due at 20 ms, 35 ms late
    t.write(CALLER_TRACK, frame(2));
    const caller = channel(t.take(true)!, 0);
    expect(caller.length).toBe(440); // up to the clock (55 ms) at the end
    expect(caller.slice(0, 320).every((v) => v !== 0)).toBe(true);
  });

  it('takes only what is final (up to the clock less the tolerance) and keeps what is queued ahead', () => {
    let now = 0;
    const t = new TwoTrackTimeline({ now: () => now, toleranceSamples: 480, settleSamples: 480 });
    for (let i = 0; i < 10; i++) t.write(AGENT_TRACK, frame(7)); // 200 ms queued at once
    now = 100; // clock at 800 samples: 320 are final
    expect(t.take()!.length).toBe(320 * 2);
    expect(t.taken).toBe(320);
    now = 1000;
    const rest = t.take()!; // 320..7520: the queued agent audio, then silence
    expect(
      channel(rest, 1)
        .slice(0, 1280)
        .every((v) => v === 7),
    ).toBe(true);
    expect(
      channel(rest, 1)
        .slice(1280)
        .every((v) => v === 0),
    ).toBe(true);
  });

  it("a clear drops the agent audio queued ahead of the clock, and the agent's next words start at the clock", () => {
    let now = 0;
    const t = new TwoTrackTimeline({ now: () => now });
    for (let i = 0; i < 50; i++) t.write(AGENT_TRACK, frame(9)); // 1 s queued
    now = 300;
    t.clearAhead(AGENT_TRACK);
    t.write(AGENT_TRACK, frame(5));
    const agent = channel(t.take(true)!, 1);
    expect(agent.length).toBe(2400 + 160);
    expect(agent.slice(0, 2400).every((v) => v === 9)).toBe(true);
    expect(agent.slice(2400).every((v) => v === 5)).toBe(true);
  });
});

describe('CallRecording', () => {
  it('is a valid two-channel WAV on disk mid-call holding the audio so far, and complete once closed', async () => {
    let now = 0;
    const path = join(tempDir(), 'CA0123.wav');
    const rec = new CallRecording({ path, log, now: () => now, flushMs: 3_600_000 });
    // 2 s: the caller at a constant level throughout, the agent from 0.5 s on.
    for (let i = 0; i < 100; i++, now += 20) {
      rec.callerPayload(Buffer.from(muLawEncode(frame(1000))).toString('base64'), i + 1);
      if (i >= 25) rec.agentFrame(muLawEncode(frame(-2000)));
    }
    await rec.sync();
    const mid = readWav(path); // the header's sizes say what is there
    expect(mid.channels).toBe(2);
    expect(mid.sampleRate).toBe(8000);
    const frames = mid.samples.length / 2;
    expect(frames).toBe(16_000 - 8000); // all but the last second (late frames may still land there)
    expect(statSync(path).size).toBe(44 + frames * 4);
    const caller = channel(mid.samples, 0);
    const agent = channel(mid.samples, 1);
    expect(Math.abs(caller[100]! - 1000)).toBeLessThan(40); // μ-law's step at this level
    expect(agent[3999]).toBe(0);
    expect(Math.abs(agent[4000]! + 2000)).toBeLessThan(70);

    const file = await rec.close();
    expect(file).toEqual({ path, bytes: 44 + 16_000 * 4, durationMs: 2000 });
    expect(readWav(path).samples.length).toBe(32_000);
    expect(RECORDING_BYTES_PER_SECOND * 60).toBe(1_920_000);
    rec.callerPayload('AAAA', 101); // after close: ignored
  });

  it("puts the caller's frames by their chunk numbers: a burst after a stall fills the stall, not the future", async () => {
    let now = 0;
    const path = join(tempDir(), 'CA0124.wav');
    const rec = new CallRecording({ path, log, now: () => now, flushMs: 3_600_000 });
    const payload = (v: number) => Buffer.from(muLawEncode(frame(v))).toString('base64');
    now = 30; // the first frame comes late
    rec.callerPayload(payload(1000), 1);
    now = 500; // 24 frames held up somewhere, then all at once
    for (let chunk = 2; chunk <= 26; chunk++) rec.callerPayload(payload(chunk === 26 ? -1000 : 1000), chunk);
    // A new stream (a failed transfer's) numbers from 1 again: it starts where the clock is.
    now = 2000;
    rec.callerStreamStarted();
    rec.callerPayload(payload(3000), 1);
    await rec.close();
    const caller = channel(readWav(path).samples, 0);
    expect(caller.length).toBe(16_160);
    expect(Math.sign(caller[25 * 160 - 1]!)).toBe(1);
    expect(Math.sign(caller[25 * 160]!)).toBe(-1); // chunk 26 at 500 ms, where it belongs
    expect(caller[26 * 160]).toBe(0);
    expect(Math.abs(caller[16_000]! - 3000)).toBeLessThan(100);
  });

  it('a directory it cannot write to ends the recording, not the call', async () => {
    const rec = new CallRecording({ path: join(tempDir(), 'missing', 'CA1.wav'), log, flushMs: 3_600_000 });
    rec.agentFrame(muLawEncode(frame(1)));
    await expect(rec.close()).resolves.toBeUndefined();
  });
});

describe('sweepRecordings', () => {
  it('deletes recordings last written before the cutoff and nothing else', async () => {
    const dir = tempDir();
    const old = 'CA' + 'a'.repeat(32);
    const fresh = 'CA' + 'b'.repeat(32);
    for (const name of [`${old}.wav`, `${fresh}.wav`, 'notes.wav', `${old}.txt`])
      writeFileSync(join(dir, name), 'x');
    const past = new Date(Date.now() - 40 * 86_400_000);
    for (const name of [`${old}.wav`, 'notes.wav', `${old}.txt`]) utimesSync(join(dir, name), past, past);
    await expect(sweepRecordings(dir, Date.now() - 30 * 86_400_000)).resolves.toEqual([old]);
    expect(readdirSync(dir).sort()).toEqual([`${old}.txt`, `${fresh}.wav`, 'notes.wav'].sort());
    await expect(sweepRecordings(join(dir, 'none'), Date.now())).resolves.toEqual([]);
  });
});
