import type { Logger } from '../logger.js';
import type { ToolCallEntry, TranscriptLine } from '../records/schema.js';

/** Audio the phone line hears from the agent, one LiveKit frame at a time. */
export type AgentAudioHandler = (pcm: Int16Array, sampleRate: number, channels: number) => void;

/** What the phone line reports about the room. */
export interface PhoneLineEvents {
  onAgentAudio: AgentAudioHandler;
  /** The agent's `lk.agent.state` attribute changed (listening, thinking, speaking, …). */
  onAgentState: (state: string, identity: string) => void;
  onAgentJoined: (identity: string) => void;
  onAgentLeft: (identity: string) => void;
  /**
   * LiveKit reports the agent's connection lost: a killed worker shows up here 5–10 s after it
   * dies, about 10 s before LiveKit gives up on it and it leaves.
   */
  onAgentUnreachable: (identity: string) => void;
  /** An unreachable agent's connection came back. */
  onAgentReachable: (identity: string) => void;
  /** The room is gone for us: server shut down, or connection lost for good. */
  onDisconnected: (reason: string) => void;
  /** Someone deleted the room through the server API (how LiveKit SIP agents hang up). */
  onRoomDeleted: () => void;
  /** The connection to LiveKit dropped and the SDK is trying to get it back. */
  onReconnecting: () => void;
  onReconnected: () => void;
  /**
   * A finished transcript segment of either side, as the room delivers it to the phone. Given
   * only when wanted: the line then listens from before it connects, so no early line is missed.
   */
  onTranscript?: (line: TranscriptLine) => void;
  /** A tool call message of the agent (already validated against the room contract). */
  onToolCall?: (entry: ToolCallEntry) => void;
  /**
   * An operator took the call over from the console (the caller now hears only them), or, with
   * null, handed it back by leaving.
   */
  onTakeover?: (operator: string | null) => void;
}

export interface PhoneLineOptions {
  url: string;
  token: string;
  sampleRate: number;
  /**
   * Caller audio waiting to go or handed to LiveKit ahead of real time, in ms: after a network or
   * process stall the caller's frames go on a steady clock and late silence is dropped (see
   * `UplinkPacer`). `maxBacklogMs` ends the catch-up after held audio was released. Speech is
   * dropped only while a capture has waited over `maxWaitingMs` (LiveKit takes no frames).
   */
  maxBacklogMs: number;
  maxWaitingMs: number;
  events: PhoneLineEvents;
  /**
   * Joined before the call's stream starts (while the caller hears ringing): the agents' audio is
   * not subscribed until a session adopts the line, so nothing plays before the caller can hear it.
   */
  deferAgentAudio?: boolean;
  /** Where unreadable text streams are reported. */
  log: Logger;
}

/** An RPC call from a participant in the room; only what the bridge reads of it. */
export interface PhoneRpcCall {
  callerIdentity: string;
  payload: string;
}

/** Thrown by an RPC handler to answer the caller with an error code the contract names. */
export class PhoneRpcRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface LeaveOptions {
  /** Takes a remote participant out through the server API before we disconnect. */
  removeRemote?: (identity: string) => Promise<void>;
  removeWaitMs?: number;
  /** `sip.callStatus` to set before leaving (`hangup`), so agents see the call end as on LiveKit SIP. */
  callStatus?: string;
}

/**
 * The phone side of the call's room, as the bridge uses it: the caller's microphone out, the
 * agent's audio and presence in, RPC and DTMF. The rtc `Room` stays behind it.
 */
export interface PhoneLine {
  /** Connects and publishes; a join that fails or is overtaken by {@link leave} leaves nothing behind. */
  join(): Promise<void>;
  /** Hands caller audio to LiveKit without waiting; frames over the backlog are dropped and counted. */
  pushCallerAudio(pcm: Int16Array): void;
  /** Caller frames dropped so far because LiveKit's backlog was full. */
  readonly droppedFrames: number;
  /** The caller audio (ms) waiting for LiveKit when the latest frame was pushed (0 while held). */
  readonly backlogMs?: number;
  /** Agents in the room whose connection is not lost. */
  agentCount(): number;
  /** Agents still in the room whose connection LiveKit reports lost. */
  unreachableAgents(): string[];
  registerRpc(method: string, handler: (call: PhoneRpcCall) => Promise<string>): void;
  publishDtmf(digit: string): Promise<void>;
  /** Updates some of the phone participant's attributes (the others stay). */
  setAttributes(attributes: Record<string, string>): Promise<void>;
  /** Leaves at any stage, once; calling again returns the same promise. */
  leave(opts?: LeaveOptions): Promise<void>;
  /** A line that joined early (`deferAgentAudio`) now reports to `events` and hears the agents. */
  adopt?(events: PhoneLineEvents): void;
}

/** Makes the phone line of one call (the real one is a LiveKit participant; tests pass fakes). */
export type NewPhoneLine = (opts: PhoneLineOptions) => PhoneLine;
