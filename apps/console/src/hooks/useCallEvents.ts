import { useState } from 'react';
import type { CallSummary, OperatorAction, StatusEvent, ToolCall, TranscriptLine } from '../lib/types';
import { useEventSource, type SseState } from './useEventSource';

export interface CallView {
  call: CallSummary | null;
  transcript: TranscriptLine[];
  toolCalls: ToolCall[];
  statuses: StatusEvent[];
  actions: OperatorAction[];
}

const EMPTY: CallView = { call: null, transcript: [], toolCalls: [], statuses: [], actions: [] };

/** One call as it happens, from `/api/calls/:sid/events`: the record so far, then every new line. */
export function useCallEvents(sid: string): { view: CallView; state: SseState } {
  const [view, setView] = useState<CallView>(EMPTY);
  const state = useEventSource(
    `/api/calls/${sid}/events`,
    {
      snapshot: (d) => {
        const s = d as {
          call: CallSummary;
          transcript: TranscriptLine[];
          tool_calls: ToolCall[];
          status_events: StatusEvent[];
          operator_actions: OperatorAction[];
        };
        setView({
          call: s.call,
          transcript: s.transcript,
          toolCalls: s.tool_calls,
          statuses: s.status_events,
          actions: s.operator_actions ?? [],
        });
      },
      transcript: (d) => setView((v) => ({ ...v, transcript: [...v.transcript, d as TranscriptLine] })),
      tool_call: (d) => setView((v) => ({ ...v, toolCalls: [...v.toolCalls, d as ToolCall] })),
      status: (d) => setView((v) => ({ ...v, statuses: [...v.statuses, d as StatusEvent] })),
      operator_action: (d) => setView((v) => ({ ...v, actions: [...v.actions, d as OperatorAction] })),
      ended: (d) => setView((v) => ({ ...v, call: d as CallSummary })),
    },
    'ended',
  );
  return { view, state };
}
