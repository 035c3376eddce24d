/**
 * Text stream topics in the room. The agent publishes one JSON ToolCallMessage per tool call on
 * TOOL_CALLS_TOPIC; the bridge records it with the call. Transcripts use LiveKit Agents' own topic.
 */
import { z } from 'zod';

export const TOOL_CALLS_TOPIC = 'callbridge.tool_calls';
/** LiveKit Agents' transcription text streams, for both sides of the conversation. */
export const TRANSCRIPTION_TOPIC = 'lk.transcription';

/** One tool call: exactly one of `result`/`error` is set by the agent. Times are epoch milliseconds. */
export const toolCallMessageSchema = z.object({
  name: z.string().min(1).max(200),
  /** The model's tool call id, to match with transcripts. */
  toolCallId: z.string().max(200).optional(),
  /** The arguments as the model sent them (before validation). */
  arguments: z.unknown(),
  /** What the model was told. */
  result: z.unknown().optional(),
  error: z.string().optional(),
  startedAt: z.number().int().nonnegative(),
  endedAt: z.number().int().nonnegative(),
});
export type ToolCallMessage = z.infer<typeof toolCallMessageSchema>;
