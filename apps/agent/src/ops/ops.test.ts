import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type WorkerStatus } from './health-server.js';
import { createMetrics } from './metrics.js';
import { MetricsReporter, startMetricsRelay, type MetricsRelay } from './metrics-relay.js';

const silent = pino({ level: 'silent' });
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function until(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('metrics relay', () => {
  it('carries reports from call processes into the worker registry, dropping malformed lines', async () => {
    const metrics = createMetrics(() => 2, 8);
    const relay: MetricsRelay = await startMetricsRelay(metrics, silent);
    cleanup.push(() => relay.close());
    const reporter = new MetricsReporter(relay.socketPath);
    reporter.report({ metric: 'turns', role: 'user' });
    reporter.report({ metric: 'toolCalls', tool: 'check_eligibility', outcome: 'error' });
    reporter.report({ metric: 'modelReconnects' });
    reporter.report({ metric: 'greetingSeconds', value: 1.2 });
    reporter.report({ metric: 'nonsense' } as never);
    reporter.report({ metric: 'sessions', outcome: 'caller_hung_up' });
    await reporter.close();
    await until(async () => (await metrics.registry.metrics()).includes('outcome="caller_hung_up"'));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^callbridge_agent_turns_total\{role="user"\} 1$/m);
    expect(text).toMatch(
      /^callbridge_agent_tool_calls_total\{tool="check_eligibility",outcome="error"\} 1$/m,
    );
    expect(text).toMatch(/^callbridge_agent_model_reconnects_total 1$/m);
    expect(text).toMatch(/^callbridge_agent_greeting_seconds_count 1$/m);
    expect(text).toMatch(/^callbridge_agent_active_sessions 2$/m);
    expect(text).toMatch(/^callbridge_agent_max_sessions 8$/m);
  });

  it('never throws in a call process when there is no relay', () => {
    const reporter = new MetricsReporter('/nonexistent/dir/relay.sock');
    reporter.report({ metric: 'turns', role: 'assistant' });
    reporter.report({ metric: 'turns', role: 'assistant' });
    expect(() => new MetricsReporter(undefined).report({ metric: 'modelReconnects' })).not.toThrow();
  });
});

describe('health server', () => {
  it('is live while running, ready only when registered, not draining and below capacity', async () => {
    const status: WorkerStatus = {
      workerId: 'AW_1',
      registered: false,
      draining: false,
      activeCalls: 0,
      maxCalls: 2,
    };
    const metrics = createMetrics(() => status.activeCalls, status.maxCalls);
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      status: () => status,
      registry: metrics.registry,
      logger: silent,
    });
    cleanup.push(() => server.close());
    const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/health')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(503);
    status.registered = true;
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, activeCalls: 0, maxCalls: 2 });
    status.activeCalls = 2;
    expect((await get('/readyz')).status).toBe(503);
    status.activeCalls = 0;
    status.draining = true;
    expect((await get('/readyz')).status).toBe(503);
    expect(await (await get('/metrics')).text()).toMatch(/^callbridge_agent_active_sessions 0$/m);
    expect((await get('/nope')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
