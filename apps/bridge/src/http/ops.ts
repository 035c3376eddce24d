import { Router } from 'express';
import type { CallRegistry } from '../calls/registry.js';
import type { BridgeMetrics } from '../metrics.js';

export function opsRoutes(deps: { registry: CallRegistry; metrics: BridgeMetrics }): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const { registry } = deps;
    res.json({
      status: registry.draining ? 'draining' : 'ok',
      active_calls: registry.active,
      max_concurrent_calls: registry.maxConcurrentCalls,
      utilization_percent: Math.round((registry.active / registry.maxConcurrentCalls) * 1000) / 10,
    });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
