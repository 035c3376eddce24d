import { recentHistory, type HistoryLine } from '@callbridge/room-contract';
import type { ToolCallEntry, TranscriptLine } from './schema.js';

/** Longest text one tool call takes in the history (its arguments and result, as JSON). */
const MAX_TOOL_LINE = 600;

function toolLine(call: ToolCallEntry): string {
  const outcome = call.error !== null ? `error: ${call.error}` : JSON.stringify(call.result);
  const text = `${call.name}(${JSON.stringify(call.arguments ?? {})}) → ${outcome}`;
  return text.length <= MAX_TOOL_LINE ? text : `${text.slice(0, MAX_TOOL_LINE - 1)}…`;
}

/**
 * The conversation so far for a replacement agent, from the call record: both sides of the
 * transcript and the tool calls (what a tool answered is as much part of the conversation as what
 * was said: an eligibility check need not be asked again), in the order they happened, the most
 * recent part that fits the dispatch limit.
 */
export function resumeHistory(
  lines: readonly TranscriptLine[],
  tools: readonly ToolCallEntry[],
): HistoryLine[] {
  const events = [
    ...lines.map((l) => ({ at: l.at, line: { speaker: l.speaker, text: l.text } as HistoryLine })),
    ...tools.map((t) => ({ at: t.endedAt, line: { speaker: 'tool', text: toolLine(t) } as HistoryLine })),
  ];
  // Stable: lines recorded at the same millisecond keep the record's order.
  events.sort((a, b) => a.at - b.at);
  return recentHistory(events.map((e) => e.line));
}
