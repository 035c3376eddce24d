// Overload degrades instead of collapsing: a real stall of the bridge's event loop (its process
// busy in 120 ms slices) makes /health say `saturated` and the next caller hear the busy message,
// while the call already up keeps its audio both ways; once the stall ends, calls are taken again.
import { describe, expect, it } from 'vitest';
import { callerToAgent, tonesGetThrough, withStandIn } from './_call-audio.js';
import { bridgeOnLiveKit, metricValue, waitFor } from './_harness.js';

const API_KEY = 'admission-test-api-key-0123456789';
/** The stall's slices: p99 loop delay about this, far over the mark below (normal delay: a few ms). */
const STALL_SLICE_MS = 120;

const ctx = bridgeOnLiveKit({
  ADMISSION_ADAPTIVE: 'true',
  ADMISSION_MAX_LOOP_LAG_MS: '80',
  // This process also runs the simulated phone, the stand-in agent and livekit-server's clients:
  // its CPU is not the bridge's alone (the CPU signal is unit-tested in src/calls/admission.test.ts).
  ADMISSION_MAX_CPU_PCT: '0',
  ADMISSION_SUSTAIN_S: '1',
  API_KEY,
});

interface Health {
  status: string;
  saturated?: string[];
  signals?: Record<string, number>;
}
const health = async () => {
  const res = await fetch(`${ctx.tb.publicUrl}/health`);
  return { code: res.status, body: (await res.json()) as Health };
};

/** Blocks this process's event loop in slices of `sliceMs`, with a short break between; returns stop(). */
function stallEventLoop(sliceMs: number, breakMs: number): () => void {
  let on = true;
  const slice = () => {
    if (!on) return;
    const end = performance.now() + sliceMs;
    while (performance.now() < end) {
      // busy: nothing else in this process runs until the slice is over
    }
    setTimeout(slice, breakMs);
  };
  setTimeout(slice, 0);
  return () => {
    on = false;
  };
}

describe('adaptive admission', () => {
  it('refuses new calls politely while the loop stalls, keeps the call already up, and opens again after', async () => {
    const { tb, lk } = ctx;
    const call = await tb.placeCall();
    expect(call.twiml?.summary.stream).not.toBeNull();
    const live = await withStandIn(lk, call);
    expect(await tonesGetThrough(live, 10_000)).toEqual({ toCaller: true, toAgent: true });

    // A loaded machine (or this process starting up) can stall the loop for a moment too: start
    // the stall from a bridge that takes calls.
    await waitFor('bridge taking calls', async () => (await health()).code === 200, 60_000);
    const stalledAt = performance.now();
    const stop = stallEventLoop(STALL_SLICE_MS, 100);
    let took = {};
    try {
      const saturated = await waitFor(
        '/health saturated',
        async () => {
          const h = await health();
          return h.code === 503 && h.body.status === 'saturated' && h.body;
        },
        60_000,
      );
      took = { saturated_after_ms: Math.round(performance.now() - stalledAt) };
      expect(saturated.saturated).toContain('loop_lag');
      expect(saturated.signals?.loop_lag_ms).toBeGreaterThan(80);
      expect(await metricValue(tb.bridge, 'callbridge_admission_saturated', { reason: 'loop_lag' })).toBe(1);
      // Liveness stays 200: restarting a saturated bridge would drop its calls.
      expect((await fetch(`${tb.publicUrl}/healthz`)).status).toBe(200);

      // The next caller hears the busy message; the API is told to retry elsewhere.
      const refused = await tb.placeCall({ from: '+15551230009' });
      expect(refused.twiml?.summary.stream).toBeNull();
      expect(refused.twiml?.summary.said.join(' ')).toMatch(/busy/i);
      expect(refused.twiml?.summary.hangup).toBe(true);
      expect(tb.bridge.registry.get(refused.callSid)).toBeUndefined();
      await waitFor(
        'the refusal recorded',
        async () => (await (await tb.bridge.store).get(refused.callSid))?.outcome === 'busy_rejected',
      );
      expect(
        await metricValue(tb.bridge, 'callbridge_admission_refusals_total', {
          reason: 'loop_lag',
          kind: 'webhook',
        }),
      ).toBe(1);
      const api = await fetch(`${tb.publicUrl}/api/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+15559870001' }),
      });
      expect(api.status).toBe(503);
      expect(api.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe('busy');

      // The call already up keeps its audio: tones both ways, and the caller's speech reaches the
      // agent matched on content (the uplink is what collapsed under overload before). The stand-in
      // agent shares the stalled loop here, so its own 10 ms pacing is slow: the bounds are generous.
      expect(tb.bridge.registry.get(call.callSid)?.streamSid).toBeTruthy();
      const up = await callerToAgent(live, 'I would like to book an appointment for Tuesday.');
      const droppedUp = await metricValue(tb.bridge, 'callbridge_uplink_dropped_frames_total');
      expect(await tonesGetThrough(live, 30_000)).toEqual({ toCaller: true, toAgent: true });
      took = { ...took, audio_checked_after_ms: Math.round(performance.now() - stalledAt) };
      console.log(JSON.stringify({ admission_stall_speech_up: up.median, dropped_up: droppedUp }));
      expect(up.peaks.length).toBeGreaterThan(5);
      // The bar of bridge.integration.test.ts (other speech scores ≤ 0.45).
      expect(up.median).toBeGreaterThan(0.75);
      expect(up.inOrder).toBe(true);
    } finally {
      stop();
    }
    const stoppedAt = performance.now();

    // The stall is over: once the loop has been quiet for the sustain window, calls are taken again.
    await waitFor('/health ok again', async () => (await health()).code === 200, 60_000);
    console.log(
      JSON.stringify({
        admission_timing: { ...took, reopened_after_ms: Math.round(performance.now() - stoppedAt) },
      }),
    );
    expect(await metricValue(tb.bridge, 'callbridge_admission_saturated', { reason: 'loop_lag' })).toBe(0);
    const after = await tb.placeCall({ from: '+15551230010' });
    expect(after.twiml?.summary.stream).not.toBeNull();
    expect(await tonesGetThrough(live, 10_000)).toEqual({ toCaller: true, toAgent: true });

    await after.hangup();
    await call.hangup();
    live.heardByAgent.stop();
    await live.standIn.agent.disconnect();
    await waitFor('calls released', () => tb.bridge.registry.active === 0 || undefined);
  }, 180_000);
});
