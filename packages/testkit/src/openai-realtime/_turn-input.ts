/**
 * What the user gave since the last response (spoken turns, typed items, tool outputs) and the
 * connection's turn and response counts: together they say what triggered the next response.
 */
import type { ResponseContext } from './script.js';

type ToolOutput = ResponseContext['toolOutputs'][number];

export class TurnInput {
  #turn = 0;
  #responses = 0;
  #userTexts: string[] = [];
  #userAudioMs: number | undefined;
  #toolOutputs: ToolOutput[] = [];

  /** 1-based number of the latest user turn; 0 before the first. */
  get turn(): number {
    return this.#turn;
  }

  /** Committed user audio: a new turn. */
  spoke(audioMs: number): void {
    this.#turn++;
    this.#userAudioMs = audioMs;
  }

  /** A user text item: a new turn. */
  typed(text: string): void {
    this.#turn++;
    this.#userTexts.push(text);
  }

  toolOutput(output: ToolOutput): void {
    this.#toolOutputs.push(output);
  }

  /** A response starts: what it answers, and the input it consumes. */
  nextResponse(base: Pick<ResponseContext, 'sessionId' | 'instructions' | 'tools'>): ResponseContext {
    const [userTexts, userAudioMs, toolOutputs] = [this.#userTexts, this.#userAudioMs, this.#toolOutputs];
    this.#userTexts = [];
    this.#userAudioMs = undefined;
    this.#toolOutputs = [];
    this.#responses++;
    const userInput = userTexts.length > 0 || userAudioMs !== undefined;
    return {
      ...base,
      trigger:
        toolOutputs.length > 0
          ? 'tool_output'
          : userInput
            ? 'user_turn'
            : this.#responses === 1
              ? 'greeting'
              : 'prompted',
      turn: this.#turn,
      responseNumber: this.#responses,
      userText: userTexts.length > 0 ? userTexts.join('\n') : undefined,
      userAudioMs,
      toolOutputs,
    };
  }
}
