/**
 * One Realtime connection: session config, the conversation (ordered items, _conversation.ts), the
 * input audio buffer with server VAD (_input-audio.ts), and at most one response in flight
 * (_responder.ts). Client events are validated (_client-events.ts); anything malformed or out of
 * order gets an `error` event echoing the client's event_id, as the real API does, and never closes
 * the socket.
 */
import type { WebSocket } from 'ws';
import { readClientEvent } from './_client-events.js';
import { Conversation } from './_conversation.js';
import { decodePcm16, InputAudio } from './_input-audio.js';
import {
  defaultSession,
  newId,
  type ClientEvent,
  type ClientEventType,
  type ErrorBody,
  type ServerItem,
  type SessionResource,
} from './_protocol.js';
import { Responder } from './_responder.js';
import type { ResponsePacing, ResponseRecord } from './_response.js';
import { updatedSession } from './_session-update.js';
import { TurnInput } from './_turn-input.js';
import type { EventLog } from './event-log.js';
import { userTranscriptFor, type RealtimeScript } from './script.js';

/** The real API refuses to commit less than this. */
const MIN_COMMIT_MS = 100;

export interface SessionDeps {
  id: string;
  model: string;
  log: EventLog;
  script: () => RealtimeScript;
  pacing: ResponsePacing;
  onResponse: (record: ResponseRecord) => void;
}

export class SimSession {
  readonly id: string;
  readonly model: string;
  readonly connectedAt = Date.now();
  closedAt: number | undefined;
  config: SessionResource;
  readonly #ws: WebSocket;
  readonly #deps: SessionDeps;
  readonly #conversation = new Conversation();
  readonly #input = new InputAudio();
  /** Item id announced in speech_started, used again when the turn is committed. */
  #speechItemId: string | undefined;
  #speechStartMs = 0;
  readonly #turns = new TurnInput();
  readonly #responder: Responder;

  constructor(ws: WebSocket, deps: SessionDeps) {
    this.#ws = ws;
    this.#deps = deps;
    this.id = deps.id;
    this.model = deps.model;
    this.config = defaultSession(deps.model);
    this.#responder = new Responder({
      ...deps,
      sessionId: deps.id,
      conversation: this.#conversation,
      turns: this.#turns,
      config: () => this.config,
      send: (e) => this.#send(e),
      error: (e) => this.#error(e),
      drop: () => this.drop(),
    });
    this.#input.configure(this.config.audio.input.turn_detection);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('close', () => this.#onClose());
    this.#send({ type: 'session.created', session: this.config });
  }

  /** The conversation's items, in order. */
  get items(): ServerItem[] {
    return this.#conversation.items;
  }

  /** All audio received on this connection so far (24 kHz PCM16), for content checks. */
  inputAudio(): Int16Array {
    return this.#input.all();
  }

  /**
   * Wall-clock times (Date.now) at which input audio went from quiet to loud, taken when the
   * `input_audio_buffer.append` carrying the first loud window arrived: when speech reached the model.
   */
  get inputOnsets(): readonly number[] {
    return this.#input.onsets;
  }

  /** Cuts the TCP connection without a close frame, like a network failure. */
  drop(): void {
    this.#deps.log.record(this.id, 'sim', { type: 'connection.dropped' });
    this.#ws.terminate();
  }

  #onClose(): void {
    this.closedAt = Date.now();
    this.#responder.interrupt('client_cancelled');
    this.#deps.log.record(this.id, 'sim', { type: 'connection.closed' });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const read = readClientEvent(data, isBinary);
    this.#deps.log.record(this.id, 'client', read.body ?? { type: 'invalid_json' });
    if (!read.ok) this.#error(read.error);
    else this.#dispatch(read.type, read.event, read.eventId);
  }

  #dispatch(type: ClientEventType, event: unknown, eventId: string | null): void {
    switch (type) {
      case 'session.update':
        return this.#sessionUpdate(event as ClientEvent<'session.update'>, eventId);
      case 'input_audio_buffer.append':
        return this.#append(event as ClientEvent<'input_audio_buffer.append'>, eventId);
      case 'input_audio_buffer.commit':
        return this.#manualCommit(eventId);
      case 'input_audio_buffer.clear':
        this.#input.clear();
        this.#speechItemId = undefined;
        return this.#send({ type: 'input_audio_buffer.cleared' });
      case 'conversation.item.create':
        return this.#itemCreate(event as ClientEvent<'conversation.item.create'>, eventId);
      case 'conversation.item.truncate':
        return this.#truncate(event as ClientEvent<'conversation.item.truncate'>, eventId);
      case 'conversation.item.delete':
        return this.#delete(event as ClientEvent<'conversation.item.delete'>, eventId);
      case 'response.create':
        return this.#responder.create((event as ClientEvent<'response.create'>).response, eventId);
      case 'response.cancel':
        return this.#responder.cancel((event as ClientEvent<'response.cancel'>).response_id, eventId);
    }
  }

  #sessionUpdate(event: ClientEvent<'session.update'>, eventId: string | null): void {
    const updated = updatedSession(this.config, event.session);
    if (!updated.ok) {
      this.#error({ ...updated.error, event_id: eventId });
      return;
    }
    this.config = updated.session;
    this.#input.configure(this.config.audio.input.turn_detection);
    this.#send({ type: 'session.updated', session: this.config });
  }

  #append(event: ClientEvent<'input_audio_buffer.append'>, eventId: string | null): void {
    const pcm = decodePcm16(event.audio);
    if (!pcm) {
      this.#error({
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: 'Audio must be 16-bit PCM: an even number of bytes.',
        event_id: eventId,
      });
      return;
    }
    for (const vadEvent of this.#input.append(pcm)) {
      if (vadEvent.type === 'speech_started') this.#speechStarted(vadEvent.audioStartMs);
      else this.#speechStopped(vadEvent.audioEndMs);
    }
  }

  #speechStarted(audioStartMs: number): void {
    this.#speechItemId = newId('item');
    this.#speechStartMs = audioStartMs;
    this.#send({
      type: 'input_audio_buffer.speech_started',
      audio_start_ms: Math.round(audioStartMs),
      item_id: this.#speechItemId,
    });
    const td = this.config.audio.input.turn_detection;
    if (td?.interrupt_response !== false) this.#responder.interrupt('turn_detected');
  }

  #speechStopped(audioEndMs: number): void {
    const itemId = this.#speechItemId ?? newId('item');
    this.#speechItemId = undefined;
    this.#send({
      type: 'input_audio_buffer.speech_stopped',
      audio_end_ms: Math.round(audioEndMs),
      item_id: itemId,
    });
    this.#commit(itemId, audioEndMs - this.#speechStartMs);
    if (this.config.audio.input.turn_detection?.create_response !== false)
      this.#responder.start(undefined, null);
  }

  #manualCommit(eventId: string | null): void {
    const bufferedMs = this.#input.bufferedMs;
    if (bufferedMs < MIN_COMMIT_MS) {
      this.#error({
        type: 'invalid_request_error',
        code: 'input_audio_buffer_commit_empty',
        message: `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${bufferedMs.toFixed(2)}ms of audio.`,
        event_id: eventId,
      });
      return;
    }
    this.#commit(this.#speechItemId ?? newId('item'), bufferedMs);
    this.#speechItemId = undefined;
  }

  /** Turns buffered audio into a user item, then transcribes it (honestly: we cannot hear words). */
  #commit(itemId: string, audioMs: number): void {
    this.#input.commit();
    const item: ServerItem = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null }],
    };
    const previous = this.#conversation.append(item);
    this.#send({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: itemId });
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: previous, item });
    this.#turns.spoke(audioMs);
    if (this.config.audio.input.transcription) {
      const transcript = userTranscriptFor(this.#deps.script(), this.#turns.turn, audioMs);
      const ids = { item_id: itemId, content_index: 0 };
      this.#send({ type: 'conversation.item.input_audio_transcription.delta', ...ids, delta: transcript });
      this.#send({
        type: 'conversation.item.input_audio_transcription.completed',
        ...ids,
        transcript,
        usage: { type: 'duration', seconds: Math.round(audioMs / 100) / 10 },
      });
    }
  }

  #itemCreate(event: ClientEvent<'conversation.item.create'>, eventId: string | null): void {
    const inserted = this.#conversation.insert(event.item, event.previous_item_id);
    if (!inserted.ok) {
      this.#error({ ...inserted.error, event_id: eventId });
      return;
    }
    const { item, previousId: previous } = inserted;
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: previous, item });
    if (!inserted.atTail) return;
    // Only items at the tail are new input; history restored after a reconnect is inserted in order too.
    if (item.type === 'message' && item.role === 'user') {
      const text = item.content.map((c) => (typeof c.text === 'string' ? c.text : '')).join(' ');
      this.#turns.typed(text);
    } else if (item.type === 'function_call_output') {
      this.#turns.toolOutput({
        callId: item.call_id,
        name: this.#conversation.functionName(item.call_id),
        output: item.output,
      });
    }
  }

  #truncate(event: ClientEvent<'conversation.item.truncate'>, eventId: string | null): void {
    const error = this.#conversation.truncate(event.item_id);
    if (error) {
      this.#error({ ...error, event_id: eventId });
      return;
    }
    this.#send({
      type: 'conversation.item.truncated',
      item_id: event.item_id,
      content_index: event.content_index,
      audio_end_ms: event.audio_end_ms,
    });
  }

  #delete(event: ClientEvent<'conversation.item.delete'>, eventId: string | null): void {
    const error = this.#conversation.delete(event.item_id);
    if (error) {
      this.#error({ ...error, event_id: eventId });
      return;
    }
    this.#send({ type: 'conversation.item.deleted', item_id: event.item_id });
  }

  #error(error: ErrorBody): void {
    this.#send({ type: 'error', error: { code: null, param: null, event_id: null, ...error } });
  }

  #send(event: Record<string, unknown>): void {
    const body = { event_id: newId('event'), ...event };
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#deps.log.record(this.id, 'server', body);
    this.#ws.send(JSON.stringify(body));
  }
}
