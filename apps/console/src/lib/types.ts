/** Shapes of the bridge's API answers the console reads (snake_case, ISO times). */

export interface LiveCall {
  sid: string;
  direction: 'inbound' | 'outbound';
  caller: string;
  our_number: string;
  room: string;
  answered_at: string;
  stream_started_at: string | null;
  duration_ms: number;
  agent_state: string;
  greeting_ms: number | null;
  turn_latencies_ms: number[];
}

export interface CallSummary {
  sid: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  status: string;
  outcome: string | null;
  outcome_reason: string | null;
  task: string | null;
  created_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  greeting_ms: number | null;
  turn_latencies_ms: number[] | null;
  /** The call's two-channel WAV, once it ended (null: none). */
  recording?: CallRecordingLink | null;
}

export interface CallRecordingLink {
  url: string;
  bytes: number;
  duration_ms: number;
}

export interface TranscriptLine {
  speaker: 'caller' | 'agent';
  identity: string;
  text: string;
  at: string;
}

export interface ToolCall {
  name: string;
  arguments: unknown;
  result: unknown;
  error: string | null;
  started_at: string;
}

export interface StatusEvent {
  status: string;
  detail: string | null;
  at: string;
}

export interface OperatorAction {
  operator: string;
  action: string;
  detail: unknown;
  result: string;
  at: string;
}

export interface CallRecord extends CallSummary {
  transcript: TranscriptLine[];
  tool_calls: ToolCall[];
  status_events: StatusEvent[];
  operator_actions: OperatorAction[];
}
