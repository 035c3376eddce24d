import { describe, expect, it } from 'vitest';
import { UplinkPacer } from './uplink-pacer.js';

const RATE = 8000;
const FRAME = RATE / 50; // 20 ms

/** A 20 ms frame: speech (a loud tone tagged with `id` in its first sample) or line silence. */
function speech(id: number): Int16Array {
  const pcm = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
  pcm[0] = id;
  return pcm;
}
const silence = () => new Int16Array(FRAME);
const isSpeech = (pcm: Int16Array) => pcm.some((x, i) => i > 0 && x !== 0);

function setup() {
  const sent: { at: number; pcm: Int16Array }[] = [];
  let now = 0;
  const pacer = new UplinkPacer(RATE, {
    earlyMs: 10,
    graceMs: 10,
    maxFillMs: 1000,
    send: (pcm) => sent.push({ at: now, pcm }),
  });
  return {
    pacer,
    sent,
    /** Moves the clock to `to`, beating every 5 ms on the way (a process that is never late). */
    runTo(to: number, late = false) {
      while (now + 5 <= to) {
        now += 5;
        pacer.tick(now, late);
      }
      now = to;
    },
    dropped: 0,
    offer(pcm: Int16Array) {
      if (pacer.offer(pcm, now) === 'dropped') this.dropped++;
    },
    get now() {
      return now;
    },
  };
}

describe('UplinkPacer', () => {
  it('sends frames that arrive on cadence at once, small jitter and all', () => {
    const t = setup();
    for (let i = 0; i < 100; i++) {
      t.runTo(i * 20 + (i % 3 === 0 ? 4 : i % 3 === 1 ? -3 : 0));
      t.offer(speech(i));
    }
    expect(t.sent.map((s) => s.pcm[0])).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(t.sent.every((s, i) => s.at === i * 20 + (i % 3 === 0 ? 4 : i % 3 === 1 ? -3 : 0))).toBe(true);
    expect(t.pacer.filledSilence).toBe(0);
    expect(t.dropped).toBe(0);
  });

  it('fills a stalled line with silence on time, then sends the late words one per slot and drops late silence', () => {
    const t = setup();
    for (let i = 0; i < 10; i++) {
      t.runTo(i * 20);
      t.offer(speech(i));
    }
    // The line stalls for 100 ms: frames 10-14 are due at 200-280 ms and arrive together at 300.
    t.runTo(300);
    const filled = t.sent.slice(10);
    expect(filled.length).toBe(5); // slots 200..280, each 10 ms past due at most 5 ms more
    expect(filled.every((s) => !isSpeech(s.pcm))).toBe(true);
    expect(filled.map((s) => s.at)).toEqual([210, 230, 250, 270, 290]);
    for (let i = 10; i < 15; i++) t.offer(speech(i));
    t.offer(silence()); // frame 15, on time at 300
    expect(t.sent.length).toBe(16); // frame 10 went at once in slot 300; the rest wait
    // The late words go one per slot, nothing dropped; the silence behind them is late and dropped.
    expect(t.dropped).toBe(1);
    for (let i = 16; i < 25; i++) {
      t.runTo(i * 20);
      t.offer(silence());
    }
    const after = t.sent.slice(15);
    expect(after.filter((s) => isSpeech(s.pcm)).map((s) => s.pcm[0])).toEqual([10, 11, 12, 13, 14]);
    // Caught up in the pause: slots keep coming every 20 ms and the line is on time again.
    t.runTo(25 * 20);
    t.offer(speech(25));
    expect(t.sent.at(-1)!.pcm[0]).toBe(25);
    expect(t.sent.at(-1)!.at).toBe(500);
    const gaps = t.sent.slice(1).map((s, i) => s.at - t.sent[i]!.at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30);
    expect(t.pacer.waitingMs).toBe(0);
  });

  it('never drops speech: a long late stretch of words waits and goes at the pace of speech', () => {
    const t = setup();
    t.offer(speech(0));
    t.runTo(200); // a 200 ms stall
    for (let i = 1; i <= 20; i++) t.offer(speech(i));
    expect(t.pacer.waitingMs).toBeGreaterThan(0);
    t.runTo(700);
    const words = t.sent.filter((s) => isSpeech(s.pcm)).map((s) => s.pcm[0]);
    expect(words).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(t.dropped).toBe(0);
  });

  it('fills nothing while the process itself was stalled: the frames read after it fill the overdue slots at once', () => {
    const t = setup();
    for (let i = 0; i < 5; i++) {
      t.runTo(i * 20);
      t.offer(speech(i));
    }
    t.runTo(180, true); // every beat late: the event loop was blocked
    expect(t.pacer.filledSilence).toBe(0);
    for (let i = 5; i < 9; i++) t.offer(speech(i)); // the socket's backlog, read at once
    expect(t.sent.map((s) => s.pcm[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stops filling after maxFillMs without frames, and starts its clock again from the next frame', () => {
    const t = setup();
    t.offer(speech(0));
    t.runTo(3000);
    expect(t.pacer.filledSilence).toBe(49); // slots 20..980 ms, each filled 10 ms past due
    expect(t.pacer.active(3000)).toBe(false);
    t.offer(speech(1));
    expect(t.sent.at(-1)).toEqual({ at: 3000, pcm: expect.any(Int16Array) });
    expect(t.sent.at(-1)!.pcm[0]).toBe(1);
  });

  it('sends queued (held) audio one frame per slot, its silences too', () => {
    const t = setup();
    const held = [speech(1), silence(), silence(), speech(2)];
    t.pacer.queue(held, 0);
    expect(t.sent.length).toBe(1);
    t.runTo(70);
    expect(t.sent.map((s) => s.pcm)).toEqual(held);
    expect(t.sent.map((s) => s.at)).toEqual([0, 10, 30, 50]);
    expect(t.dropped).toBe(0);
  });
});
