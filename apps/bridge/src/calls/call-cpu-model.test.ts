import { describe, expect, it } from 'vitest';
import { CallCpuModel } from './call-cpu-model.js';

/** A reproducible ±amplitude noise (the readings of a busy box are never clean). */
function noise(seed: number, amplitude: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return (x / 2 ** 31 - 0.5) * 2 * amplitude;
  };
}

/**
 * A bridge whose CPU is base + media × settled + setUp × settling once it has calls, sampled every
 * 250 ms while calls arrive at `perSecond` and settle 2.5 s after their webhook.
 */
function ramp(
  model: CallCpuModel,
  o: { base: number; media: number; setUp: number; perSecond: number; seconds: number; jitter?: number },
) {
  const n = noise(7, o.jitter ?? 0);
  for (let i = 0; i < 8; i++) model.observe(1 + n(), 0, 0); // idle: no calls, nothing learned
  let reading = 0;
  let settled = 0;
  for (let t = 0.25; t <= o.seconds; t += 0.25) {
    const answered = Math.floor(t * o.perSecond);
    const settling = Math.min(answered, Math.floor(2.5 * o.perSecond));
    settled = answered - settling;
    reading = o.base + o.media * settled + o.setUp * settling + n();
    model.observe(reading, settled, settling);
  }
  return { reading, settled };
}

describe('CallCpuModel', () => {
  it('knows nothing before calls have settled', () => {
    const model = new CallCpuModel();
    model.observe(4, 0, 0);
    model.observe(30, 0, 2);
    model.observe(50, 0, 3);
    expect(model.fit).toBeUndefined();
  });

  it('tells one more call’s media from the shared base and the set-up of the calls still arriving', () => {
    const model = new CallCpuModel();
    const { reading, settled } = ramp(model, { base: 20, media: 6, setUp: 15, perSecond: 2, seconds: 6 });
    // The plain average charged each settled call with the base and the arriving calls' set-up.
    expect(reading / settled).toBeGreaterThan(2.5 * 6);
    expect(model.fit?.perCall).toBeCloseTo(6, 5);
    expect(model.fit?.base).toBeCloseTo(20, 5);
  });

  it('stays close on noisy readings', () => {
    const model = new CallCpuModel();
    ramp(model, { base: 20, media: 6, setUp: 15, perSecond: 2, seconds: 8, jitter: 6 });
    expect(model.fit?.perCall).toBeGreaterThan(6 * 0.85);
    expect(model.fit?.perCall).toBeLessThan(6 * 1.15);
  });

  it('learns from calls ending with nothing arriving, and follows calls that get dearer', () => {
    const model = new CallCpuModel();
    for (let calls = 8; calls > 0; calls--)
      for (let i = 0; i < 4; i++) model.observe(10 + 6 * calls, calls, 0);
    expect(model.fit?.perCall).toBeCloseTo(6, 5);
    expect(model.fit?.base).toBeCloseTo(10, 5);
    for (let calls = 1; calls <= 8; calls++)
      for (let i = 0; i < 40; i++) model.observe(10 + 9 * calls, calls, 0);
    expect(model.fit?.perCall).toBeGreaterThan(8.5);
  });

  it('says nothing while the settled calls never varied (only the average is known then)', () => {
    const model = new CallCpuModel();
    for (let i = 0; i < 40; i++) model.observe(4 + 10 * 3, 3, 0);
    expect(model.fit).toBeUndefined();
  });

  it('says nothing when settled and settling calls moved together', () => {
    const model = new CallCpuModel();
    for (let k = 1; k <= 8; k++) for (let i = 0; i < 4; i++) model.observe(10 + 20 * k, k, k);
    expect(model.fit).toBeUndefined();
  });

  it('ignores readings that cannot be real', () => {
    const model = new CallCpuModel();
    for (let i = 0; i < 10; i++) model.observe(Number.NaN, i % 3, 0);
    expect(model.fit).toBeUndefined();
  });
});
