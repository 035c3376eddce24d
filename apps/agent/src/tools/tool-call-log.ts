/**
 * Publishes every tool call into the room on the `callbridge.tool_calls` text stream (one JSON
 * message per call) so the bridge, or any listener, can record it; and counts it in metrics.
 */
import { TOOL_CALLS_TOPIC, type ToolCallMessage } from '@callbridge/room-contract';
import type { Room } from '@livekit/rtc-node';
import type { Logger } from '../ops/logger.js';
import type { MetricReport } from '../ops/metrics-relay.js';

/** One tool call as published: the room contract's message, with the model's tool call id always set. */
export type ToolCallRecord = ToolCallMessage & { toolCallId: string };

export interface ToolCallRecorder {
  record(entry: ToolCallRecord): void;
}

export class RoomToolCallRecorder implements ToolCallRecorder {
  readonly #room: Room;
  readonly #logger: Logger;
  readonly #report: (r: MetricReport) => void;
  #queue: Promise<void> = Promise.resolve();

  constructor(room: Room, logger: Logger, report: (r: MetricReport) => void) {
    this.#room = room;
    this.#logger = logger;
    this.#report = report;
  }

  record(entry: ToolCallRecord): void {
    const outcome = entry.error === undefined ? 'ok' : 'error';
    this.#report({ metric: 'toolCalls', tool: entry.name, outcome });
    this.#logger.info(
      { tool: entry.name, outcome, durationMs: entry.endedAt - entry.startedAt },
      'tool call',
    );
    // Sent in order, and never allowed to fail the tool call itself.
    this.#queue = this.#queue.then(async () => {
      try {
        await this.#room.localParticipant?.sendText(JSON.stringify(entry), { topic: TOOL_CALLS_TOPIC });
      } catch (err) {
        this.#logger.warn({ tool: entry.name, err }, 'tool call record not published');
      }
    });
  }

  /** Resolves once every record so far has been handed to LiveKit. */
  flushed(): Promise<void> {
    return this.#queue;
  }
}
