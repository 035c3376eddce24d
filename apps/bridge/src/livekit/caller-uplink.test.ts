import type { AudioFrame, AudioSource } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { CallerUplink, DirectCapturePieces, HOLD_MAX_MS } from './caller-uplink.js';
import type { UplinkTick, UplinkTicker } from './uplink-ticker.js';

const RATE = 48_000;
const FRAME = RATE / 50; // 20 ms

function frame(loud: boolean): Int16Array {
  const pcm = new Int16Array(FRAME);
  if (loud)
    for (let i = 0; i < FRAME; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
  return pcm;
}

/** A queueless capture source (10 ms per capture) that takes every frame at once and reports a backlog the test sets. */
function fakeSource() {
  const captured: Int16Array[] = [];
  const source = {
    queuedDuration: 0,
    captureFrame: async (f: AudioFrame) => {
      expect(f.samplesPerChannel).toBe(RATE / 100);
      captured.push(f.data);
    },
  };
  return { source, captured, asSource: source as unknown as AudioSource };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

/** The uplink's clock, beaten by the test. */
function manualTicker() {
  const ticks = new Set<UplinkTick>();
  const ticker: UplinkTicker = {
    add(tick) {
      ticks.add(tick);
      return () => ticks.delete(tick);
    },
  };
  return {
    ticker,
    beat: (now: number) => [...ticks].forEach((tick) => tick(now, false)),
    beating: () => ticks.size,
  };
}

function setup(clock = { now: 0 }) {
  const { ticker, beat, beating } = manualTicker();
  const uplink = new CallerUplink({
    sampleRate: RATE,
    maxBacklogMs: 200,
    maxWaitingMs: 200,
    log: createLogger('silent'),
    now: () => clock.now,
    ticker,
  });
  const src = fakeSource();
  uplink.attach(src.asSource);
  /** Moves the clock on by `ms`, beating every 5 ms. */
  const run = async (ms: number) => {
    for (const end = clock.now + ms; clock.now + 5 <= end;) {
      clock.now += 5;
      beat(clock.now);
    }
    await settle();
  };
  return { uplink, run, beating, clock, ...src };
}

const loudCount = (frames: Int16Array[]) => frames.filter((f) => f.some((x) => x !== 0)).length;

describe('CallerUplink', () => {
  it('holds the caller until an agent listens (line silence meanwhile), then releases the speech from 300 ms before its first word, one frame per 20 ms', async () => {
    const t = setup();
    for (let i = 0; i < 50; i++) t.uplink.push(frame(false)); // 1 s of silence
    for (let i = 0; i < 25; i++) t.uplink.push(frame(true)); // 500 ms of speech
    await settle();
    expect(loudCount(t.captured)).toBe(0);
    expect(t.captured.length).toBeGreaterThan(0); // the track carries line silence
    await t.run(1100); // the line pauses; its silence is filled in for a second, then the clock stops
    expect(t.beating()).toBe(0);
    const before = t.captured.length;
    t.uplink.release();
    await settle();
    expect(t.captured.length - before).toBe(2); // the first frame at once, the rest at the pace of speech
    await t.run(800);
    const released = t.captured.slice(before);
    expect(loudCount(released)).toBe(2 * 25); // in 10 ms pieces
    expect(released.length).toBe(2 * (15 + 25)); // 300 ms of the lead silence kept
    expect(t.uplink.heldReleasedMs).toBe(800);
  });

  it('drops the oldest held audio beyond the hold limit, counted', () => {
    const t = setup();
    const frames = HOLD_MAX_MS / 20 + 10;
    for (let i = 0; i < frames; i++) t.uplink.push(frame(true));
    expect(t.uplink.droppedFrames).toBe(10);
  });

  it('once streaming, keeps a stalled line steady: silence in the stall, the late words after it, late silence dropped', async () => {
    const t = setup();
    t.uplink.release();
    const on = async () => {
      await t.run(20);
      t.uplink.push(frame(true));
    };
    for (let i = 0; i < 5; i++) await on();
    await t.run(110); // the line stalls: five slots go as silence, each 10 ms past due
    expect(t.uplink.filledSilentFrames).toBe(5);
    for (let i = 0; i < 5; i++) t.uplink.push(frame(true)); // the stalled words, in a burst
    t.uplink.push(frame(false));
    expect(t.uplink.trimmedSilentFrames).toBe(1);
    expect(t.uplink.backlogMs).toBeGreaterThanOrEqual(60);
    await t.run(100);
    expect(t.uplink.droppedFrames).toBe(0);
    expect(loudCount(t.captured)).toBe(2 * 10); // every word, in 10 ms pieces
    expect(t.captured.length).toBe(2 * 15);
  });

  it('drops frames, speech too, only once a capture has waited maxWaitingMs for a LiveKit that takes none', () => {
    const clock = { now: 0 };
    const uplink = new CallerUplink({
      ...{ sampleRate: RATE, maxBacklogMs: 200, maxWaitingMs: 200 },
      log: createLogger('silent'),
      now: () => clock.now,
      ticker: manualTicker().ticker,
    });
    // LiveKit stopped taking frames: the first capture never completes, the rest wait here.
    const stalled = { queuedDuration: 0, captureFrame: () => new Promise<void>(() => undefined) };
    uplink.attach(stalled as unknown as AudioSource);
    uplink.release();
    // A burst (pushed all at once, as a socket read delivers it) is kept whole however long...
    for (let i = 0; i < 30; i++) uplink.push(frame(true));
    expect(uplink.droppedFrames).toBe(0);
    // ...but frames still arriving 200 ms after the capture in flight began are dropped.
    for (let i = 1; i <= 14; i++) {
      clock.now = i * 20;
      uplink.push(frame(true));
    }
    expect(uplink.droppedFrames).toBe(4); // at 220, 240, 260, 280 ms
  });

  it('reports the backlog the latest frame met once streaming (for admission), not while holding', () => {
    const t = setup();
    t.source.queuedDuration = 150;
    t.uplink.push(frame(true));
    expect(t.uplink.backlogMs).toBe(0); // held: no agent listens yet
    t.uplink.release();
    t.source.queuedDuration = 150;
    t.uplink.push(frame(true));
    expect(t.uplink.backlogMs).toBeGreaterThanOrEqual(150);
    t.source.queuedDuration = 10;
    t.uplink.push(frame(true));
    expect(t.uplink.backlogMs).toBeLessThan(150);
  });

  it('captures nothing after close, and its clock stops', async () => {
    const t = setup();
    t.uplink.release();
    t.uplink.push(frame(true));
    await settle();
    expect(t.beating()).toBe(1);
    t.uplink.close();
    expect(t.beating()).toBe(0);
    const before = t.captured.length;
    t.uplink.push(frame(true));
    await t.run(100);
    expect(t.captured.length).toBe(before);
  });
});

describe('DirectCapturePieces', () => {
  it('cuts frames into 10 ms pieces, each its own buffer, carrying a remainder to the next frame', () => {
    const cut = new DirectCapturePieces(8000); // 80 samples a piece
    const ramp = (n: number, from: number) => Int16Array.from({ length: n }, (_, i) => from + i);
    const a = cut.cut(ramp(160, 0));
    expect(a.map((p) => p.length)).toEqual([80, 80]);
    expect(a[1]![0]).toBe(80);
    expect(a[0]!.buffer).not.toBe(a[1]!.buffer);
    expect(a[0]!.byteOffset).toBe(0);
    expect(cut.cut(ramp(50, 160))).toEqual([]); // 50 samples wait for more
    const c = cut.cut(ramp(110, 210));
    expect(c.map((p) => [p[0], p[79]])).toEqual([
      [160, 239],
      [240, 319],
    ]); // nothing lost, nothing padded
    expect(cut.cut(ramp(30, 320))).toEqual([]);
    expect(cut.cut(ramp(50, 350)).map((p) => [p[0], p[79]])).toEqual([[320, 399]]);
  });
});
