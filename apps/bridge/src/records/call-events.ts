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
 * Live events of the calls this bridge instance handles, for `GET /api/calls/:sid/events`.
 * Published after the write, so a listener never sees something the record does not hold.
 */
export class CallEventHub {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open SSE connection; many dashboards may watch one call.
    this.emitter.setMaxListeners(0);
  }

  publish(event: CallEvent): void {
    this.emitter.emit(event.callSid, event);
  }

  subscribe(callSid: string, listener: (event: CallEvent) => void): () => void {
    this.emitter.on(callSid, listener);
    return () => this.emitter.off(callSid, listener);
  }
}
