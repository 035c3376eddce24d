import { Router, type Response } from 'express';
import type { Admission } from '../calls/admission-probes.js';
import type { CallRegistry } from '../calls/registry.js';
import type { BridgeMetrics } from '../metrics.js';

/**
 * `/health` (alias `/readyz`) is readiness, for load balancers: 503 while draining or saturated,
 * so new calls go to another bridge; calls already up are unaffected. `/healthz` is liveness: 200
 * while the process answers, whatever its load (restarting a saturated bridge would drop its calls).
 */
export function opsRoutes(deps: {
  registry: CallRegistry;
  metrics: BridgeMetrics;
  admission: Admission;
}): Router {
  const router = Router();
  const report = (res: Response, liveness: boolean) => {
    const { registry, admission } = deps;
    const saturated = admission.saturated;
    const status = registry.draining ? 'draining' : saturated.length > 0 ? 'saturated' : 'ok';
    const readings = admission.readings;
    res.status(status === 'ok' || liveness ? 200 : 503).json({
      status,
      active_calls: registry.active,
      max_concurrent_calls: registry.maxConcurrentCalls,
      utilization_percent: Math.round((registry.active / registry.maxConcurrentCalls) * 1000) / 10,
      // While saturated: which signals hold calls off, and the latest sample of each.
      ...(saturated.length > 0 && {
        saturated,
        signals: readings && {
          loop_lag_ms: round(readings.loop_lag),
          cpu_percent: round(readings.cpu),
          uplink_drop_percent: round(readings.uplink_drops),
          uplink_backlog_ms: round(readings.uplink_backlog),
        },
      }),
    });
  };
  router.get(['/health', '/readyz'], (_req, res) => report(res, false));
  router.get('/healthz', (_req, res) => report(res, true));
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}

const round = (x: number) => Math.round(x * 10) / 10;
