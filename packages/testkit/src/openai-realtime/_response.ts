/**
 * One model response on the wire: `response.created`, the output items (spoken message with
 * transcript deltas, function call), `response.done`. Audio is streamed in fixed chunks faster
 * than real time, as the real API does, and the run can be cancelled at any await (barge-in,
 * `response.cancel`), in which case the open item is closed as `incomplete` and the response
 * ends `cancelled`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { newId, SAMPLE_RATE, type ServerItem } from './_protocol.js';
import type { ResponseContext, ScriptedReply } from './script.js';

export interface ResponsePacing {
  /** Model latency before the first output item. */
  firstOutputDelayMs: number;
  /** Audio per `response.output_audio.delta`. */
  chunkMs: number;
  /** How many times faster than real time audio is streamed (1 = real time). */
  realtimeFactor: number;
}

/** What a test can inspect about a response after (or while) it ran. */
export interface ResponseRecord {
  id: string;
  sessionId: string;
  trigger: ResponseContext['trigger'];
  turn: number;
  /** What the script asked to say ('' if nothing). */
  text: string;
  /** The full 24 kHz speech for `text`; `sentSamples` of it went out before the response ended. */
  audio: Int16Array;
  sentSamples: number;
  toolCall?: { name: string; arguments: string; callId: string };
  status: 'in_progress' | 'completed' | 'cancelled' | 'failed';
  cancelReason?: string;
  createdAt: number;
  firstAudioAt?: number;
  doneAt?: number;
}

/** The session-side operations a response needs; keeps this module free of socket handling. */
export interface ResponseHost {
  send(event: Record<string, unknown>): void;
  appendItem(item: ServerItem): string | null;
  updateItem(item: ServerItem): void;
  drop(): void;
  voice: string;
  synthesize(text: string, voice: string): Int16Array;
}

export class ResponseRun {
  readonly id = newId('resp');
  readonly record: ResponseRecord;
  readonly #host: ResponseHost;
  readonly #reply: ScriptedReply;
  readonly #pacing: ResponsePacing;
  readonly #metadata: Record<string, string> | undefined;
  readonly #abort = new AbortController();
  readonly #output: ServerItem[] = [];
  #cancelReason = 'client_cancelled';
  /** The message item being spoken, so a cancellation can close it. */
  #open: { item: ServerItem & { type: 'message' }; outputIndex: number; transcript: string } | undefined;

  constructor(opts: {
    host: ResponseHost;
    reply: ScriptedReply;
    ctx: ResponseContext;
    pacing: ResponsePacing;
    metadata?: Record<string, string>;
  }) {
    this.#host = opts.host;
    this.#reply = opts.reply;
    this.#pacing = opts.pacing;
    this.#metadata = opts.metadata;
    const text = opts.reply.say ?? '';
    this.record = {
      id: this.id,
      sessionId: opts.ctx.sessionId,
      trigger: opts.ctx.trigger,
      turn: opts.ctx.turn,
      text,
      audio: text ? opts.host.synthesize(text, opts.host.voice) : new Int16Array(0),
      sentSamples: 0,
      status: 'in_progress',
      createdAt: Date.now(),
    };
  }

  cancel(reason: 'client_cancelled' | 'turn_detected'): void {
    this.#cancelReason = reason;
    this.#abort.abort();
  }

  /** Runs to `response.done`; never throws (a cancellation is a normal ending). */
  async run(): Promise<void> {
    const fault = this.#reply.fault;
    this.#send({ type: 'response.created', response: this.#resource('in_progress') });
    try {
      await this.#wait(this.#reply.firstOutputDelayMs ?? this.#pacing.firstOutputDelayMs);
      if (fault?.kind === 'fail') {
        const error = {
          type: fault.type ?? 'server_error',
          code: fault.code ?? null,
          message: fault.message,
        };
        this.#finish('failed', { type: 'failed', error });
        return;
      }
      if (this.record.text) await this.#speak();
      if (this.#reply.callTool) this.#callTool(this.#reply.callTool);
      this.#finish('completed', null);
    } catch (err) {
      if (!this.#abort.signal.aborted) throw err;
      this.#closeOpenItem();
      this.#finish('cancelled', { type: 'cancelled', reason: this.#cancelReason });
    }
  }

  async #speak(): Promise<void> {
    const outputIndex = this.#output.length;
    const item: ServerItem & { type: 'message' } = {
      id: newId('item'),
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    this.#addOutputItem(item, outputIndex);
    this.#open = { item, outputIndex, transcript: '' };
    const ids = { response_id: this.id, item_id: item.id, output_index: outputIndex, content_index: 0 };
    this.#send({ type: 'response.content_part.added', ...ids, part: { type: 'audio', transcript: '' } });

    const audio = this.record.audio;
    const words = this.record.text.split(/(?<=\s)/);
    const chunk = Math.round((SAMPLE_RATE * this.#pacing.chunkMs) / 1000);
    const chunks = Math.max(1, Math.ceil(audio.length / chunk));
    const dropAt = this.#reply.fault?.kind === 'drop' ? Math.floor(chunks / 2) : -1;
    let wordsSent = 0;
    for (let i = 0; i < chunks; i++) {
      if (i === dropAt) {
        this.#cancelReason = 'connection_dropped';
        this.#host.drop();
        this.#abort.abort();
        throw new Error('connection dropped by script');
      }
      // Transcript runs slightly ahead of audio, as the real API's does.
      const wordsDue = Math.ceil((words.length * (i + 1)) / chunks);
      if (wordsDue > wordsSent) {
        const delta = words.slice(wordsSent, wordsDue).join('');
        wordsSent = wordsDue;
        this.#open.transcript += delta;
        this.#send({ type: 'response.output_audio_transcript.delta', ...ids, delta });
      }
      const pcm = audio.subarray(i * chunk, Math.min(audio.length, (i + 1) * chunk));
      const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      this.#send({ type: 'response.output_audio.delta', ...ids, delta: bytes.toString('base64') });
      this.record.firstAudioAt ??= Date.now();
      this.record.sentSamples += pcm.length;
      await this.#wait((this.#pacing.chunkMs * pcm.length) / chunk / this.#pacing.realtimeFactor);
    }
    this.#closeOpenItem();
  }

  /** Ends the spoken item: `completed` if all audio went out, `incomplete` if cut short. */
  #closeOpenItem(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    const complete = this.record.sentSamples >= this.record.audio.length;
    const ids = {
      response_id: this.id,
      item_id: open.item.id,
      output_index: open.outputIndex,
      content_index: 0,
    };
    this.#send({ type: 'response.output_audio.done', ...ids });
    this.#send({ type: 'response.output_audio_transcript.done', ...ids, transcript: open.transcript });
    this.#send({
      type: 'response.content_part.done',
      ...ids,
      part: { type: 'audio', transcript: open.transcript },
    });
    const done: ServerItem = {
      ...open.item,
      status: complete ? 'completed' : 'incomplete',
      content: [{ type: 'output_audio', transcript: open.transcript }],
    };
    this.#output[open.outputIndex] = done;
    this.#host.updateItem(done);
    this.#send({
      type: 'response.output_item.done',
      response_id: this.id,
      output_index: open.outputIndex,
      item: done,
    });
    this.#send({ type: 'conversation.item.done', item: done });
  }

  #callTool(call: NonNullable<ScriptedReply['callTool']>): void {
    const outputIndex = this.#output.length;
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
    const callId = newId('call');
    const item: ServerItem & { type: 'function_call' } = {
      id: newId('item'),
      object: 'realtime.item',
      type: 'function_call',
      status: 'in_progress',
      call_id: callId,
      name: call.name,
      arguments: '',
    };
    this.#addOutputItem(item, outputIndex);
    const ids = { response_id: this.id, item_id: item.id, output_index: outputIndex, call_id: callId };
    this.#send({ type: 'response.function_call_arguments.delta', ...ids, delta: args });
    this.#send({ type: 'response.function_call_arguments.done', ...ids, name: call.name, arguments: args });
    const done: ServerItem = { ...item, status: 'completed', arguments: args };
    this.#output[outputIndex] = done;
    this.#host.updateItem(done);
    this.#send({
      type: 'response.output_item.done',
      response_id: this.id,
      output_index: outputIndex,
      item: done,
    });
    this.#send({ type: 'conversation.item.done', item: done });
    this.record.toolCall = { name: call.name, arguments: args, callId };
  }

  #addOutputItem(item: ServerItem, outputIndex: number): void {
    this.#output[outputIndex] = item;
    this.#send({ type: 'response.output_item.added', response_id: this.id, output_index: outputIndex, item });
    const previous = this.#host.appendItem(item);
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
  }

  #finish(status: 'completed' | 'cancelled' | 'failed', statusDetails: Record<string, unknown> | null): void {
    this.record.status = status;
    this.record.doneAt = Date.now();
    if (status === 'cancelled') this.record.cancelReason = this.#cancelReason;
    this.#send({ type: 'response.done', response: this.#resource(status, statusDetails) });
  }

  #resource(status: string, statusDetails: Record<string, unknown> | null = null): Record<string, unknown> {
    const audioTokens = Math.round((this.record.sentSamples / SAMPLE_RATE) * 10);
    return {
      object: 'realtime.response',
      id: this.id,
      status,
      status_details: statusDetails,
      output: [...this.#output],
      conversation_id: null,
      output_modalities: ['audio'],
      max_output_tokens: 'inf',
      audio: { output: { format: { type: 'audio/pcm', rate: SAMPLE_RATE }, voice: this.#host.voice } },
      metadata: this.#metadata ?? null,
      usage:
        status === 'in_progress'
          ? null
          : {
              total_tokens: audioTokens,
              input_tokens: 0,
              output_tokens: audioTokens,
              input_token_details: { text_tokens: 0, audio_tokens: 0, cached_tokens: 0 },
              output_token_details: { text_tokens: 0, audio_tokens: audioTokens },
            },
    };
  }

  #send(event: Record<string, unknown>): void {
    this.#host.send(event);
  }

  async #wait(ms: number): Promise<void> {
    if (this.#abort.signal.aborted) throw new Error('cancelled');
    if (ms > 0) await sleep(ms, undefined, { signal: this.#abort.signal });
  }
}
