/**
 * What the simulated model does, per response. The simulator cannot understand speech, so a test
 * scripts the replies (text to speak, tool calls, faults) by what triggered the response.
 */

/** Why the simulator is producing a response. */
export type ResponseTrigger =
  /** First response of a connection with no user input yet: the agent speaking first. */
  | 'greeting'
  /** A user turn: audio committed (by VAD or `input_audio_buffer.commit`) or a user text item. */
  | 'user_turn'
  /** Function call outputs were added since the last response. */
  | 'tool_output'
  /** Asked for with nothing new from the user, after the first response (e.g. a reprompt). */
  | 'prompted';

export interface ResponseContext {
  sessionId: string;
  trigger: ResponseTrigger;
  /** 1-based number of the user turn this answers; 0 before the first user turn. */
  turn: number;
  /** 1-based number of this response within the connection. */
  responseNumber: number;
  /** Text of user text items since the last response (typed input, DTMF relayed as text). */
  userText?: string;
  /** Duration of the committed user audio this answers, if any. */
  userAudioMs?: number;
  /** Outputs of function calls since the last response. */
  toolOutputs: Array<{ callId: string; name?: string; output: string }>;
  /** Instructions in force: the response's own if given, else the session's. */
  instructions: string;
  /** Names of the tools the client declared in `session.update`. */
  tools: string[];
}

export type Fault =
  /** An `error` server event instead of a response (the client's event_id is echoed). */
  | { kind: 'error'; type?: string; code?: string; message: string }
  /** `response.created`, then `response.done` with status `failed` and this error. */
  | { kind: 'fail'; type?: string; code?: string; message: string }
  /** The TCP connection is cut without a close frame, before the response or mid-audio. */
  | { kind: 'drop'; when: 'before_response' | 'mid_audio' };

export interface ScriptedReply {
  /** Spoken with espeak-ng in the session's voice and streamed with transcript deltas. */
  say?: string;
  /** A function call emitted after any speech, e.g. `{ name: 'end_call' }`. */
  callTool?: { name: string; arguments?: Record<string, unknown> | string };
  fault?: Fault;
  /** Model "thinking" time before the first output; overrides the simulator default. */
  firstOutputDelayMs?: number;
}

export type Reply = ScriptedReply | ((ctx: ResponseContext) => ScriptedReply);

export interface RealtimeScript {
  /** Reply to the first response without user input. */
  greeting?: Reply;
  /** Replies to user turns, keyed by 1-based turn number. */
  turns?: Record<number, Reply>;
  /** Reply after tool outputs (the model "reading" the result). */
  afterToolOutput?: Reply;
  /** Reply to later responses asked for without new user input. */
  prompted?: Reply;
  /** Catch-all, consulted when none of the above applies; return undefined for the default. */
  reply?: (ctx: ResponseContext) => ScriptedReply | undefined;
  /** Input transcription text per 1-based user turn; default is honest: "[speech 1.2 s]". */
  userTranscripts?: Record<number, string>;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** Defaults say plainly what the simulator perceived, since it cannot understand anything. */
function defaultReply(ctx: ResponseContext): ScriptedReply {
  switch (ctx.trigger) {
    case 'greeting':
      return { say: 'Hello, this is the simulated assistant. How can I help you today?' };
    case 'user_turn':
      if (ctx.userText !== undefined) return { say: `You sent the text: ${ctx.userText}` };
      return {
        say: `I heard ${seconds(ctx.userAudioMs ?? 0)} seconds of speech. This is reply ${ctx.turn}.`,
      };
    case 'tool_output':
      return { say: 'The tool has answered.' };
    case 'prompted':
      return { say: 'This is a prompted reply.' };
  }
}

export function resolveReply(script: RealtimeScript, ctx: ResponseContext): ScriptedReply {
  const pick = (reply: Reply | undefined): ScriptedReply | undefined =>
    typeof reply === 'function' ? reply(ctx) : reply;
  const specific =
    ctx.trigger === 'greeting'
      ? pick(script.greeting)
      : ctx.trigger === 'user_turn'
        ? pick(script.turns?.[ctx.turn])
        : ctx.trigger === 'tool_output'
          ? pick(script.afterToolOutput)
          : pick(script.prompted);
  return specific ?? script.reply?.(ctx) ?? defaultReply(ctx);
}

export function userTranscriptFor(script: RealtimeScript, turn: number, audioMs: number): string {
  return script.userTranscripts?.[turn] ?? `[speech ${seconds(audioMs)} s]`;
}
