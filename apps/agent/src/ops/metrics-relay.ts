/**
 * Carries metric updates from call processes to the worker's main process, which owns the
 * Prometheus registry. LiveKit Agents runs every job in its own child process and gives us no
 * channel to it, so the main process listens on a Unix socket whose path the children inherit in
 * the environment. One JSON object per line; anything malformed is dropped, never fatal.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';

export const METRICS_SOCKET_ENV = 'CALLBRIDGE_METRICS_SOCKET';

const label = z.string().min(1).max(64);
const reportSchema = z.discriminatedUnion('metric', [
  z.object({ metric: z.literal('sessions'), outcome: label }),
  z.object({ metric: z.literal('turns'), role: z.enum(['user', 'assistant']) }),
  z.object({ metric: z.literal('toolCalls'), tool: label, outcome: z.enum(['ok', 'error']) }),
  z.object({ metric: z.literal('errors'), source: label, recoverable: z.boolean() }),
  z.object({ metric: z.literal('modelReconnects') }),
  z.object({ metric: z.literal('greetingSeconds'), value: z.number().min(0).max(3600) }),
  // Not a metric: a call process finished its prewarm and waits, warm, for a call.
  z.object({ metric: z.literal('processWarm') }),
]);
export type MetricReport = z.infer<typeof reportSchema>;

function apply(metrics: AgentMetrics, report: MetricReport): void {
  switch (report.metric) {
    case 'sessions':
      return metrics.sessions.inc({ outcome: report.outcome });
    case 'turns':
      return metrics.turns.inc({ role: report.role });
    case 'toolCalls':
      return metrics.toolCalls.inc({ tool: report.tool, outcome: report.outcome });
    case 'errors':
      return metrics.errors.inc({ source: report.source, recoverable: String(report.recoverable) });
    case 'modelReconnects':
      return metrics.modelReconnects.inc();
    case 'greetingSeconds':
      return metrics.greetingSeconds.observe(report.value);
    case 'processWarm':
      return;
  }
}

export interface MetricsRelay {
  socketPath: string;
  close(): Promise<void>;
}

/** Main process side: listens and applies reports to `metrics`. */
export async function startMetricsRelay(
  metrics: AgentMetrics,
  logger: Logger,
  events: { onProcessWarm?: () => void } = {},
): Promise<MetricsRelay> {
  const socketPath = join(tmpdir(), `callbridge-agent-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      if (pending.length > 1_000_000) {
        logger.warn({ bytes: pending.length }, 'metrics relay line too long, dropping connection');
        socket.destroy();
        return;
      }
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        let parsed: ReturnType<typeof reportSchema.safeParse>;
        try {
          parsed = reportSchema.safeParse(JSON.parse(line));
        } catch {
          parsed = reportSchema.safeParse(undefined);
        }
        if (parsed.success && parsed.data.metric === 'processWarm') events.onProcessWarm?.();
        else if (parsed.success) apply(metrics, parsed.data);
        else logger.debug({ line: line.slice(0, 200) }, 'metrics relay dropped a malformed report');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return {
    socketPath,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(socketPath, { force: true });
    },
  };
}

/**
 * Call process side. Reports are fire-and-forget: a missing or broken relay costs metrics, never
 * a call. Without a socket path (e.g. the job runs outside our worker) reports are discarded.
 */
export class MetricsReporter {
  readonly #socketPath: string | undefined;
  #socket: Socket | undefined;
  #broken = false;

  constructor(socketPath: string | undefined = process.env[METRICS_SOCKET_ENV]) {
    this.#socketPath = socketPath;
  }

  report(report: MetricReport): void {
    if (!this.#socketPath || this.#broken) return;
    if (!this.#socket) {
      // Writes made before the connection opens are buffered by the socket.
      this.#socket = createConnection(this.#socketPath);
      this.#socket.unref();
      this.#socket.on('error', () => {
        this.#broken = true;
        this.#socket?.destroy();
      });
    }
    this.#socket.write(`${JSON.stringify(report)}\n`);
  }

  close(): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => socket.end(resolve));
  }
}
