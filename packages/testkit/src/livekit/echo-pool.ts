import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CollectedEcho, EchoWorkerCommand, EchoWorkerReply } from './_echo-protocol.js';
import type { LiveKitServer } from './server.js';

export type { CollectedEcho } from './_echo-protocol.js';

/**
 * Echo participants (see echo.ts) spread over several processes. Every rtc-node Room hears every
 * FFI event of its process, so one process hosting many rooms costs more per room as it grows;
 * a load generator that must not be the bottleneck keeps each process small.
 */
export class EchoPool {
  private next = 0;
  private requestId = 0;
  private readonly pendingJoins = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly pendingRequests = new Map<number, (reply: EchoWorkerReply) => void>();

  private constructor(
    private readonly server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
    private readonly workers: ChildProcess[],
  ) {}

  static async start(
    server: Pick<LiveKitServer, 'url' | 'apiKey' | 'apiSecret'>,
    processes: number,
  ): Promise<EchoPool> {
    const pool = new EchoPool(server, []);
    process.once('exit', () => pool.workers.forEach((w) => w.kill('SIGKILL')));
    await pool.grow(processes);
    return pool;
  }

  /** Adds processes until there are at least `processes`. */
  async grow(processes: number): Promise<void> {
    const added = Array.from({ length: Math.max(0, processes - this.workers.length) }, () =>
      fork(join(import.meta.dirname, '_echo-worker.ts'), [], {
        // --expose-gc: the worker collects after leaving rooms (see _echo-worker.ts).
        execArgv: ['--expose-gc', '--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      }),
    );
    this.workers.push(...added);
    await Promise.all(
      added.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('exit', (code) => reject(new Error(`echo process exited (${code}) before it was ready`)));
          }),
      ),
    );
    for (const w of added) w.on('message', (msg) => this.onReply(msg as EchoWorkerReply));
  }

  get processes(): number {
    return this.workers.length;
  }

  /** The pool's process ids (to measure what the load generator itself costs). */
  get pids(): number[] {
    return this.workers.map((w) => w.pid ?? -1);
  }

  /** Puts an echo participant into `room`, in the next process in turn. */
  join(room: string): Promise<void> {
    const worker = this.workers[this.next++ % this.workers.length]!;
    return new Promise<void>((resolve, reject) => {
      this.pendingJoins.set(room, { resolve, reject });
      this.send(worker, { type: 'join', room, server: this.server });
    });
  }

  /**
   * What every echo has heard so far, by room, and the worst 99th-percentile event-loop delay of
   * the pool's processes since the previous collect (each collect starts a new lag window).
   */
  async collect(): Promise<{ echoes: Map<string, CollectedEcho>; lagP99Ms: number }> {
    const replies = await this.requestAll((requestId) => ({ type: 'collect', requestId }));
    const echoes = new Map<string, CollectedEcho>();
    let lagP99Ms = 0;
    for (const r of replies) {
      if (r.type !== 'collected') continue;
      for (const e of r.echoes) echoes.set(e.room, e);
      lagP99Ms = Math.max(lagP99Ms, r.lagP99Ms);
    }
    return { echoes, lagP99Ms };
  }

  async leaveAll(): Promise<void> {
    await this.requestAll((requestId) => ({ type: 'leave_all', requestId }));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map((w) => {
        if (w.exitCode !== null) return undefined;
        const exited = new Promise((r) => w.once('exit', r));
        this.send(w, { type: 'exit' });
        const timer = setTimeout(() => w.kill('SIGKILL'), 5_000);
        return exited.finally(() => clearTimeout(timer));
      }),
    );
  }

  private requestAll(make: (requestId: number) => EchoWorkerCommand): Promise<EchoWorkerReply[]> {
    return Promise.all(
      this.workers.map((w) => {
        const requestId = ++this.requestId;
        return new Promise<EchoWorkerReply>((resolve) => {
          this.pendingRequests.set(requestId, resolve);
          this.send(w, make(requestId));
        });
      }),
    );
  }

  private send(worker: ChildProcess, cmd: EchoWorkerCommand): void {
    worker.send(cmd);
  }

  private onReply(msg: EchoWorkerReply): void {
    if (msg.type === 'joined' || msg.type === 'join_failed') {
      const pending = this.pendingJoins.get(msg.room);
      this.pendingJoins.delete(msg.room);
      if (msg.type === 'joined') pending?.resolve();
      else pending?.reject(new Error(`echo could not join ${msg.room}: ${msg.error}`));
    } else if (msg.type === 'collected' || msg.type === 'left') {
      this.pendingRequests.get(msg.requestId)?.(msg);
      this.pendingRequests.delete(msg.requestId);
    } else if (msg.type === 'error') {
      process.stderr.write(`echo process: ${msg.error}\n`);
    }
  }
}
