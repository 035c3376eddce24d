/**
 * The worker's operations endpoint: liveness, readiness (registered with LiveKit, not draining,
 * below capacity) and Prometheus metrics, on one port (HEALTH_PORT).
 */
import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

export interface WorkerStatus {
  workerId: string;
  registered: boolean;
  draining: boolean;
  activeCalls: number;
  maxCalls: number;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: {
  host: string;
  port: number;
  status: () => WorkerStatus;
  registry: Registry;
  logger: Logger;
}): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // `/health` is an alias of `/healthz` for probes configured the common way.
    const liveness = path === '/healthz' || path === '/health';
    if (liveness || path === '/readyz') {
      const status = opts.status();
      const ready = status.registered && !status.draining && status.activeCalls < status.maxCalls;
      // Liveness only says the process answers; readiness says it would take a new call.
      const ok = liveness || ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...status, ready }));
      return;
    }
    if (path === '/metrics') {
      opts.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          opts.logger.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
