import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Admission } from '../calls/admission-probes.js';
import type { AdmissionReadings } from '../calls/admission.js';
import { CallRegistry } from '../calls/registry.js';
import { createMetrics } from '../metrics.js';
import { opsRoutes } from './ops.js';

const HEALTHY: AdmissionReadings = { loop_lag: 5, cpu: 20, uplink_drops: 0, uplink_backlog: 30 };

describe('/health, /readyz, /healthz', () => {
  let server: Server | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    server?.close();
    if (server) await once(server, 'close');
    server = undefined;
  });

  async function start() {
    const registry = new CallRegistry(4);
    const metrics = createMetrics();
    let readings = HEALTHY;
    const admission = new Admission({
      settings: {
        adaptive: true,
        limits: { loop_lag: 50, cpu: 80, uplink_drops: 1, uplink_backlog: 120 },
        sustainMs: 1000,
      },
      ...{ registry, metrics, log: pino({ level: 'silent' }) },
      now: () => Date.now(),
      probes: () => ({ read: () => readings, stop: () => undefined }),
    });
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    admission.start();
    const app = express().use(opsRoutes({ registry, metrics, admission }));
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (path: string) => {
      const res = await fetch(base + path);
      return { code: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    return { registry, get, set: (r: Partial<AdmissionReadings>) => (readings = { ...HEALTHY, ...r }) };
  }

  it('is ready (200 ok) while healthy, not ready (503) while saturated or draining; liveness stays 200', async () => {
    const t = await start();
    for (const path of ['/health', '/readyz', '/healthz'])
      expect(await t.get(path)).toEqual({
        code: 200,
        body: { status: 'ok', active_calls: 0, max_concurrent_calls: 4, utilization_percent: 0 },
      });

    t.set({ loop_lag: 120, uplink_drops: 4 });
    vi.advanceTimersByTime(1500);
    const saturated = {
      status: 'saturated',
      saturated: ['loop_lag', 'uplink_drops'],
      signals: { loop_lag_ms: 120, cpu_percent: 20, uplink_drop_percent: 4, uplink_backlog_ms: 30 },
    };
    expect(await t.get('/health')).toMatchObject({ code: 503, body: saturated });
    expect(await t.get('/readyz')).toMatchObject({ code: 503, body: saturated });
    expect(await t.get('/healthz')).toMatchObject({ code: 200, body: saturated });

    t.set({});
    vi.advanceTimersByTime(1500);
    expect((await t.get('/health')).code).toBe(200);
    t.registry.draining = true;
    expect(await t.get('/health')).toMatchObject({ code: 503, body: { status: 'draining' } });
    expect((await t.get('/healthz')).code).toBe(200);
  });
});
