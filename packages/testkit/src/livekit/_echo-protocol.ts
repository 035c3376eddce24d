import { z } from 'zod';

/** What an echo pool tells one of its processes. */
export const EchoWorkerCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('join'),
    room: z.string(),
    server: z.object({ url: z.string(), apiKey: z.string(), apiSecret: z.string() }),
  }),
  z.object({ type: z.literal('collect'), requestId: z.number() }),
  z.object({ type: z.literal('leave_all'), requestId: z.number() }),
  z.object({ type: z.literal('exit') }),
]);
export type EchoWorkerCommand = z.infer<typeof EchoWorkerCommand>;

export interface CollectedEcho {
  room: string;
  /** Epoch milliseconds (performance.timeOrigin + performance.now()) of each marker onset heard. */
  onsets: number[];
  /** Epoch milliseconds at which each heard burst was handed back to the echo's capture source. */
  published: number[];
  frames: number;
}

export type EchoWorkerReply =
  | { type: 'ready' }
  | { type: 'joined'; room: string }
  | { type: 'join_failed'; room: string; error: string }
  | {
      type: 'collected';
      requestId: number;
      echoes: CollectedEcho[];
      /** 99th percentile of this process's event-loop delay since the previous collect, in ms. */
      lagP99Ms: number;
    }
  | { type: 'left'; requestId: number }
  | { type: 'error'; error: string };
