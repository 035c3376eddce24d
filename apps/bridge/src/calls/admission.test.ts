import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../metrics.js';
import { UplinkPressure } from '../media/uplink-pressure.js';
import { Admission, CALL_SETTLING_MS, SAMPLE_MS } from './admission-probes.js';
import { AdmissionController, type AdmissionReadings, type AdmissionSignal } from './admission.js';
import { CallRegistry } from './registry.js';

const LIMITS = { loop_lag: 50, cpu: 80, uplink_drops: 1, uplink_backlog: 120 };
const HEALTHY: AdmissionReadings = { loop_lag: 5, cpu: 20, uplink_drops: 0, uplink_backlog: 30 };

/** A controller on a fake clock, sampled every 250 ms like the bridge's. */
function controller(limits = LIMITS, sustainMs = 2000) {
  let t = 0;
  const changes: [AdmissionSignal, boolean][] = [];
  const c = new AdmissionController({
    limits,
    sustainMs,
    now: () => t,
    onChange: (s, tripped) => changes.push([s, tripped]),
  });
  /** Samples `readings` for `ms` of fake time (one sample per 250 ms, the first at once). */
  const feed = (readings: Partial<AdmissionReadings>, ms: number) => {
    for (let end = t + ms; t < end; t += 250) c.sample({ ...HEALTHY, ...readings });
  };
  return { c, feed, changes };
}

describe('AdmissionController', () => {
  it('takes calls while healthy, and through a spike shorter than the sustain window', () => {
    const { c, feed, changes } = controller();
    feed({}, 10_000);
    feed({ loop_lag: 400, cpu: 99 }, 1750); // 7 samples over the mark: not yet 2 s
    feed({}, 1000);
    feed({ loop_lag: 400 }, 1750);
    expect(c.saturated).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('saturates once a signal stays over its high mark for the window, and says which', () => {
    const { c, feed, changes } = controller();
    feed({ loop_lag: 80 }, 2000); // samples at 0 … 1750 ms: 1.75 s over
    expect(c.saturated).toEqual([]);
    feed({ loop_lag: 80 }, 250); // 2 s over
    expect(c.saturated).toEqual(['loop_lag']);
    expect(changes).toEqual([['loop_lag', true]]);
    expect(c.readings?.loop_lag).toBe(80);
  });

  it('stays saturated between the low and the high mark, and clears only after a full window under the low one', () => {
    const { c, feed, changes } = controller();
    feed({ cpu: 95 }, 2250);
    expect(c.saturated).toEqual(['cpu']);
    // 70 % CPU is under the 80 % mark but over the 60 % low mark: still saturated (no flapping).
    feed({ cpu: 70 }, 20_000);
    expect(c.saturated).toEqual(['cpu']);
    // Under the low mark, interrupted once: the window starts again.
    feed({ cpu: 40 }, 1750);
    feed({ cpu: 65 }, 250);
    feed({ cpu: 40 }, 1750);
    expect(c.saturated).toEqual(['cpu']);
    feed({ cpu: 40 }, 500);
    expect(c.saturated).toEqual([]);
    expect(changes).toEqual([
      ['cpu', true],
      ['cpu', false],
    ]);
  });

  it('judges each signal on its own and lists every tripped one', () => {
    const { c, feed } = controller();
    feed({ uplink_drops: 5, uplink_backlog: 180 }, 2250);
    expect(c.saturated).toEqual(['uplink_drops', 'uplink_backlog']);
    feed({ uplink_drops: 0, uplink_backlog: 180 }, 2250);
    expect(c.saturated).toEqual(['uplink_backlog']);
  });

  it('ignores a signal whose mark is 0, and counts a missing reading as healthy', () => {
    const { c, feed } = controller({ ...LIMITS, cpu: 0 });
    feed({ cpu: 400 }, 10_000);
    expect(c.saturated).toEqual([]);
    for (let t = 0; t < 10; t++) c.sample({});
    expect(c.saturated).toEqual([]);
  });
});

describe('Admission', () => {
  afterEach(() => vi.useRealTimers());

  /** The bridge's admission with a fake clock and fake probes that read `current`. */
  function admission(adaptive = true, max = 3) {
    vi.useFakeTimers();
    const registry = new CallRegistry(max);
    const metrics = createMetrics();
    let current: AdmissionReadings = { ...HEALTHY };
    const stopped = vi.fn();
    const a = new Admission({
      settings: { adaptive, limits: LIMITS, sustainMs: 1000 },
      registry,
      metrics,
      log: pino({ level: 'silent' }),
      now: () => Date.now(),
      probes: () => ({ read: () => current, stop: stopped }),
    });
    a.start();
    const set = (r: Partial<AdmissionReadings>) => (current = { ...HEALTHY, ...r });
    const gauge = async (reason: string) =>
      (await metrics.admissionSaturated.get()).values.find((v) => v.labels.reason === reason)?.value;
    return { a, registry, metrics, set, stopped, gauge };
  }
  const addCall = (registry: CallRegistry, n: number) =>
    registry.add({ callSid: `CA${n}`, room: `r${n}`, answeredAt: 0, direction: 'inbound', from: '', to: '' });
  /** A call answered now; `streaming`: its media stream is here (else on another bridge). */
  const answerCall = (registry: CallRegistry, n: number, streaming: boolean) => {
    registry.add({
      callSid: `CA${n}`,
      room: `r${n}`,
      answeredAt: Date.now(),
      direction: 'inbound',
      from: '',
      to: '',
    });
    if (streaming) registry.attachStream(registry.get(`CA${n}`)!, `MZ${n}`, async () => undefined);
  };

  it('refuses over the hard cap and while draining, adaptive or not', () => {
    const { a, registry } = admission(false, 1);
    expect(a.refusal()).toBeUndefined();
    addCall(registry, 1);
    expect(a.refusal()).toEqual({ reason: 'capacity', signals: [] });
    registry.draining = true;
    expect(a.refusal({ adaptive: false })).toEqual({ reason: 'draining', signals: [] });
  });

  it('refuses new calls while a measured signal is saturated, exports the gauge, and opens again', async () => {
    const { a, set, gauge } = admission();
    set({ loop_lag: 90 });
    vi.advanceTimersByTime(SAMPLE_MS * 3);
    expect(a.refusal()).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(a.refusal()).toEqual({ reason: 'loop_lag', signals: ['loop_lag'] });
    expect(await gauge('loop_lag')).toBe(1);
    expect(await gauge('cpu')).toBe(0);
    // A call the API placed earlier is answered: only the hard cap applies to it.
    expect(a.refusal({ adaptive: false })).toBeUndefined();
    set({});
    vi.advanceTimersByTime(1000 + SAMPLE_MS);
    expect(a.refusal()).toBeUndefined();
    expect(await gauge('loop_lag')).toBe(0);
  });

  it('never saturates with adaptive admission off, and stops its probes on stop()', () => {
    const { a, set, stopped } = admission(false);
    set({ loop_lag: 900, cpu: 300 });
    vi.advanceTimersByTime(10_000);
    expect(a.saturated).toEqual([]);
    expect(a.refusal()).toBeUndefined();
    expect(stopped).not.toHaveBeenCalled(); // never started

    const on = admission(true);
    on.a.stop();
    expect(on.stopped).toHaveBeenCalledOnce();
  });

  it('counts the calls still settling at the cost per settled call measured now', () => {
    const { a, registry, set } = admission(true, 20);
    const answer = (n: number, streaming: boolean) => answerCall(registry, n, streaming);
    for (let n = 0; n < 5; n++) answer(n, true);
    answer(5, false); // answered here, streams on another bridge
    set({ cpu: 50 }); // 10 per call streaming here, under the mark (80)
    vi.advanceTimersByTime(CALL_SETTLING_MS + SAMPLE_MS * 4);
    expect(a.refusal()).toBeUndefined();
    answer(6, true);
    expect(a.refusal()).toBeUndefined(); // 50 + (1 settling + the next) × 10 = 70
    answer(7, true);
    answer(8, false);
    answer(9, true);
    // 50 + (4 settling + the next) × 10 = 100: over the mark although no signal tripped; /health
    // says so too.
    expect(a.refusal()).toEqual({ reason: 'cpu', signals: ['cpu'] });
    expect(a.saturated).toEqual(['cpu']);
    // Settled, and the reading still 50: the calls cost less than feared, calls are taken again.
    vi.advanceTimersByTime(CALL_SETTLING_MS);
    expect(a.refusal()).toBeUndefined();
  });

  it('refuses the call that would take the CPU over its mark, although the reading is under it', () => {
    const { a, registry, set } = admission(true, 20);
    for (let n = 0; n < 5; n++) answerCall(registry, n, true);
    set({ cpu: 60 }); // 12 per call: one more fits under the mark (80)
    vi.advanceTimersByTime(CALL_SETTLING_MS + SAMPLE_MS * 4);
    expect(a.refusal()).toBeUndefined();
    set({ cpu: 70 }); // 14 per call: one more is 84
    vi.advanceTimersByTime(SAMPLE_MS * 16);
    expect(a.refusal()).toEqual({ reason: 'cpu', signals: ['cpu'] });
    expect(a.saturated).toEqual(['cpu']);
  });

  it('counts refusals by reason and where', async () => {
    const { a, metrics } = admission();
    a.refused({ reason: 'cpu', signals: ['cpu'] }, 'api');
    a.refused({ reason: 'capacity', signals: [] }, 'webhook');
    const values = (await metrics.admissionRefusals.get()).values.map((v) => [v.labels, v.value]);
    expect(values).toEqual([
      [{ reason: 'cpu', kind: 'api' }, 1],
      [{ reason: 'capacity', kind: 'webhook' }, 1],
    ]);
  });
});

describe('UplinkPressure', () => {
  it('gives the drop share and mean backlog per window, and nothing for a window too short to say', () => {
    const p = new UplinkPressure();
    for (let i = 0; i < 98; i++) p.note(0, 100);
    p.note(1, 200);
    p.note(1, 200);
    expect(p.take()).toEqual({ frames: 100, dropPct: 2, backlogMs: 102 });
    expect(p.take()).toEqual({ frames: 0, dropPct: 0, backlogMs: 0 });
    for (let i = 0; i < 10; i++) p.note(1, 500);
    expect(p.take()).toEqual({ frames: 10, dropPct: 0, backlogMs: 0 });
  });
});
