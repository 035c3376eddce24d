import { EventEmitter } from 'node:events';
import type { CallRecord, OperatorAction, ToolCallEntry, TranscriptLine } from './schema.js';

/** What the SSE stream of a call carries, in the order it happened. */
export type CallEvent =
  | {
      type: 'status';
      callSid: string;
      status: string;
      outcome: string | null;
      at: number;
      detail: string | null;
    }
  | { type: 'transcript'; callSid: string; line: TranscriptLine }
  | { type: 'tool_call'; callSid: string; toolCall: ToolCallEntry }
  | { type: 'result'; callSid: string; result: Record<string, unknown>; at: number }
  | { type: 'operator_action'; callSid: string; action: OperatorAction }
  | { type: 'ended'; callSid: string; record: CallRecord };

/**
 * Live events of calls, for `GET /api/calls/:sid/events`: those this bridge instance writes, and
 * (with PostgreSQL) those the other instances write, delivered through the bridges bus.
 * Published after the write, so a listener never sees something the record does not hold.
 */
export class CallEventHub {
  private readonly emitter = new EventEmitter();
  private share?: (event: CallEvent) => void;

  constructor() {
    // One listener per open SSE connection; many dashboards may watch one call.
    this.emitter.setMaxListeners(0);
  }

  /** Every event this instance publishes also goes to `share` (the other instances). */
  shareWith(share: (event: CallEvent) => void): void {
    this.share = share;
  }

  publish(event: CallEvent): void {
    this.emitter.emit(event.callSid, event);
    this.share?.(event);
  }

  /** An event another instance published: heard here, not shared again. */
  deliver(event: CallEvent): void {
    this.emitter.emit(event.callSid, event);
  }

  subscribe(callSid: string, listener: (event: CallEvent) => void): () => void {
    this.emitter.on(callSid, listener);
    return () => this.emitter.off(callSid, listener);
  }
}
