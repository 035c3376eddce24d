/**
 * One Realtime connection: session config, the conversation (ordered items), the input audio
 * buffer with server VAD, and at most one response in flight. Client events are validated;
 * anything malformed or out of order gets an `error` event echoing the client's event_id, as the
 * real API does, and never closes the socket.
 */
import type { WebSocket } from 'ws';
import {
  clientEventSchemas,
  defaultSession,
  newId,
  SAMPLE_RATE,
  type ClientEvent,
  type ClientEventType,
  type ClientItem,
  type ErrorBody,
  type ServerItem,
  type SessionResource,
} from './_protocol.js';
import { ResponseRun, type ResponsePacing, type ResponseRecord } from './_response.js';
import { EnergyVad, vadSettingsFor } from './_vad.js';
import { synthesize } from './_voice.js';
import type { EventLog } from './event-log.js';
import { resolveReply, userTranscriptFor, type RealtimeScript, type ResponseContext } from './script.js';

/** Input audio kept per session for content checks: 10 minutes at 24 kHz. */
const MAX_KEPT_INPUT_SAMPLES = SAMPLE_RATE * 600;
/** Input onsets: a 20 ms window at least this loud (dBFS) after {@link ONSET_QUIET_MS} of quieter ones. */
const ONSET_DBFS = -40;
const ONSET_QUIET_MS = 200;
const ONSET_WINDOW = (SAMPLE_RATE * 20) / 1000;

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

/** Input since the last response: decides what triggered the next one. */
interface PendingInput {
  userTexts: string[];
  userAudioMs?: number;
  toolOutputs: Array<{ callId: string; name?: string; output: string }>;
}

export class SimSession {
  readonly id: string;
  readonly model: string;
  readonly connectedAt = Date.now();
  closedAt: number | undefined;
  config: SessionResource;
  readonly items: ServerItem[] = [];
  readonly #ws: WebSocket;
  readonly #deps: SessionDeps;
  #vad: EnergyVad | undefined;
  /** Uncommitted input audio and where it starts on the audio clock. */
  #buffer: Int16Array[] = [];
  #bufferStartMs = 0;
  #audioClockMs = 0;
  #kept: Int16Array[] = [];
  #keptSamples = 0;
  /**
   * Wall-clock times (Date.now) at which input audio went from quiet to loud, taken when the
   * `input_audio_buffer.append` carrying the first loud window arrived: when speech reached the model.
   */
  readonly inputOnsets: number[] = [];
  #quietMs = ONSET_QUIET_MS;
  /** Item id announced in speech_started, used again when the turn is committed. */
  #speechItemId: string | undefined;
  #speechStartMs = 0;
  #turn = 0;
  #responses = 0;
  #pending: PendingInput = { userTexts: [], toolOutputs: [] };
  #active: ResponseRun | undefined;

  constructor(ws: WebSocket, deps: SessionDeps) {
    this.#ws = ws;
    this.#deps = deps;
    this.id = deps.id;
    this.model = deps.model;
    this.config = defaultSession(deps.model);
    this.#configureVad();
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('close', () => this.#onClose());
    this.#send({ type: 'session.created', session: this.config });
  }

  /** All audio received on this connection so far (24 kHz PCM16), for content checks. */
  inputAudio(): Int16Array {
    const out = new Int16Array(this.#keptSamples);
    let offset = 0;
    for (const part of this.#kept) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /** Cuts the TCP connection without a close frame, like a network failure. */
  drop(): void {
    this.#deps.log.record(this.id, 'sim', { type: 'connection.dropped' });
    this.#ws.terminate();
  }

  #onClose(): void {
    this.closedAt = Date.now();
    this.#active?.cancel('client_cancelled');
    this.#deps.log.record(this.id, 'sim', { type: 'connection.closed' });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    let raw: unknown;
    try {
      raw = isBinary ? undefined : JSON.parse(data.toString('utf8'));
    } catch {
      raw = undefined;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      this.#deps.log.record(this.id, 'client', { type: 'invalid_json' });
      this.#error({
        type: 'invalid_request_error',
        code: 'invalid_json',
        message: 'Expected a JSON object.',
      });
      return;
    }
    const body = raw as Record<string, unknown>;
    this.#deps.log.record(this.id, 'client', body);
    const eventId = typeof body.event_id === 'string' ? body.event_id : null;
    const type = String(body.type);
    if (!(type in clientEventSchemas)) {
      this.#error({
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: `Invalid value: '${type}'. Supported values are: ${Object.keys(clientEventSchemas).join(', ')}.`,
        param: 'type',
        event_id: eventId,
      });
      return;
    }
    const parsed = clientEventSchemas[type as ClientEventType].safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.#error({
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: `Invalid '${issue?.path.join('.') ?? type}': ${issue?.message ?? 'malformed event'}`,
        param: issue?.path.join('.') ?? null,
        event_id: eventId,
      });
      return;
    }
    this.#dispatch(type as ClientEventType, parsed.data, eventId);
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
        this.#buffer = [];
        this.#bufferStartMs = this.#audioClockMs;
        this.#vad?.reset();
        this.#speechItemId = undefined;
        return this.#send({ type: 'input_audio_buffer.cleared' });
      case 'conversation.item.create':
        return this.#itemCreate(event as ClientEvent<'conversation.item.create'>, eventId);
      case 'conversation.item.truncate':
        return this.#truncate(event as ClientEvent<'conversation.item.truncate'>, eventId);
      case 'conversation.item.delete':
        return this.#delete(event as ClientEvent<'conversation.item.delete'>, eventId);
      case 'response.create':
        return this.#responseCreate(event as ClientEvent<'response.create'>, eventId);
      case 'response.cancel':
        return this.#responseCancel(event as ClientEvent<'response.cancel'>, eventId);
    }
  }

  #sessionUpdate(event: ClientEvent<'session.update'>, eventId: string | null): void {
    const { audio, ...rest } = event.session;
    for (const format of [audio?.input?.format, audio?.output?.format]) {
      if (format && (format.type !== 'audio/pcm' || (format.rate ?? SAMPLE_RATE) !== SAMPLE_RATE)) {
        this.#error({
          type: 'invalid_request_error',
          code: 'unsupported_audio_format',
          message: `The simulator only speaks audio/pcm at ${SAMPLE_RATE} Hz, got ${format.type}@${format.rate}.`,
          event_id: eventId,
        });
        return;
      }
    }
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    const input = { ...this.config.audio.input, ...definedOnly(audio?.input) };
    const output = { ...this.config.audio.output, ...definedOnly(audio?.output) };
    this.config = {
      ...this.config,
      ...defined,
      model: this.model,
      audio: { input, output },
    } as SessionResource;
    this.#configureVad();
    this.#send({ type: 'session.updated', session: this.config });
  }

  #configureVad(): void {
    const td = this.config.audio.input.turn_detection;
    if (!td) {
      this.#vad = undefined;
      return;
    }
    if (this.#vad) this.#vad.update(vadSettingsFor(td));
    else this.#vad = new EnergyVad(vadSettingsFor(td), SAMPLE_RATE);
  }

  #append(event: ClientEvent<'input_audio_buffer.append'>, eventId: string | null): void {
    const bytes = Buffer.from(event.audio, 'base64');
    if (bytes.length % 2 !== 0) {
      this.#error({
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: 'Audio must be 16-bit PCM: an even number of bytes.',
        event_id: eventId,
      });
      return;
    }
    const pcm = new Int16Array(bytes.length / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
    this.#buffer.push(pcm);
    if (this.#keptSamples + pcm.length <= MAX_KEPT_INPUT_SAMPLES) {
      this.#kept.push(pcm);
      this.#keptSamples += pcm.length;
    }
    this.#audioClockMs += (pcm.length * 1000) / SAMPLE_RATE;
    this.#noteOnset(pcm);
    for (const vadEvent of this.#vad?.push(pcm) ?? []) {
      if (vadEvent.type === 'speech_started') this.#speechStarted(vadEvent.audioStartMs);
      else this.#speechStopped(vadEvent.audioEndMs);
    }
  }

  #noteOnset(pcm: Int16Array): void {
    const at = Date.now();
    for (let off = 0; off + ONSET_WINDOW <= pcm.length; off += ONSET_WINDOW) {
      let sum = 0;
      for (let i = off; i < off + ONSET_WINDOW; i++) sum += (pcm[i]! / 32768) ** 2;
      const loud = 10 * Math.log10(sum / ONSET_WINDOW + 1e-12) >= ONSET_DBFS;
      if (loud && this.#quietMs >= ONSET_QUIET_MS) this.inputOnsets.push(at);
      this.#quietMs = loud ? 0 : this.#quietMs + 20;
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
    if (this.#active && td?.interrupt_response !== false) this.#active.cancel('turn_detected');
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
      this.#startResponse(undefined, null);
  }

  #manualCommit(eventId: string | null): void {
    const bufferedMs = this.#audioClockMs - this.#bufferStartMs;
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
    this.#buffer = [];
    this.#bufferStartMs = this.#audioClockMs;
    const item: ServerItem = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null }],
    };
    const previous = this.#appendItem(item);
    this.#send({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: itemId });
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: previous, item });
    this.#turn++;
    this.#pending.userAudioMs = audioMs;
    if (this.config.audio.input.transcription) {
      const transcript = userTranscriptFor(this.#deps.script(), this.#turn, audioMs);
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
    const previousId = event.previous_item_id;
    let index = this.items.length;
    if (previousId === 'root') index = 0;
    else if (previousId) {
      const at = this.items.findIndex((i) => i.id === previousId);
      if (at < 0) {
        this.#error({
          type: 'invalid_request_error',
          code: 'previous_item_not_found',
          message: `Previous item with id '${previousId}' not found.`,
          param: 'previous_item_id',
          event_id: eventId,
        });
        return;
      }
      index = at + 1;
    }
    const item = toServerItem(event.item);
    if (this.items.some((i) => i.id === item.id)) {
      this.#error({
        type: 'invalid_request_error',
        code: 'item_already_exists',
        message: `Item with id '${item.id}' already exists.`,
        event_id: eventId,
      });
      return;
    }
    this.items.splice(index, 0, item);
    const previous = index === 0 ? null : (this.items[index - 1]?.id ?? null);
    this.#send({ type: 'conversation.item.added', previous_item_id: previous, item });
    this.#send({ type: 'conversation.item.done', previous_item_id: previous, item });
    if (index !== this.items.length - 1) return;
    // Only items at the tail are new input; history restored after a reconnect is inserted in order too.
    if (item.type === 'message' && item.role === 'user') {
      const text = item.content.map((c) => (typeof c.text === 'string' ? c.text : '')).join(' ');
      this.#turn++;
      this.#pending.userTexts.push(text);
    } else if (item.type === 'function_call_output') {
      const call = this.items.find((i) => i.type === 'function_call' && i.call_id === item.call_id);
      this.#pending.toolOutputs.push({
        callId: item.call_id,
        name: call?.type === 'function_call' ? call.name : undefined,
        output: item.output,
      });
    }
  }

  #truncate(event: ClientEvent<'conversation.item.truncate'>, eventId: string | null): void {
    const item = this.items.find((i) => i.id === event.item_id);
    if (!item || item.type !== 'message' || item.role !== 'assistant') {
      this.#error({
        type: 'invalid_request_error',
        code: 'item_not_found',
        message: `Assistant message with id '${event.item_id}' not found.`,
        event_id: eventId,
      });
      return;
    }
    // The real API drops the text so the model's context holds only what the user heard.
    this.#updateItem({ ...item, content: [{ type: 'output_audio', transcript: '' }] });
    this.#send({
      type: 'conversation.item.truncated',
      item_id: event.item_id,
      content_index: event.content_index,
      audio_end_ms: event.audio_end_ms,
    });
  }

  #delete(event: ClientEvent<'conversation.item.delete'>, eventId: string | null): void {
    const at = this.items.findIndex((i) => i.id === event.item_id);
    if (at < 0) {
      this.#error({
        type: 'invalid_request_error',
        code: 'item_not_found',
        message: `Item with id '${event.item_id}' not found.`,
        event_id: eventId,
      });
      return;
    }
    this.items.splice(at, 1);
    this.#send({ type: 'conversation.item.deleted', item_id: event.item_id });
  }

  #responseCreate(event: ClientEvent<'response.create'>, eventId: string | null): void {
    if (this.#active) {
      this.#error({
        type: 'invalid_request_error',
        code: 'conversation_already_has_active_response',
        message: `Conversation already has an active response in progress: ${this.#active.id}. Wait until the response is finished before creating a new one.`,
        event_id: eventId,
      });
      return;
    }
    this.#startResponse(event.response, eventId);
  }

  #responseCancel(event: ClientEvent<'response.cancel'>, eventId: string | null): void {
    const active = this.#active;
    if (!active || (event.response_id && event.response_id !== active.id)) {
      this.#error({
        type: 'invalid_request_error',
        code: 'response_cancel_not_active',
        message: 'Cancellation failed: no active response found',
        event_id: eventId,
      });
      return;
    }
    active.cancel('client_cancelled');
  }

  #startResponse(request: ClientEvent<'response.create'>['response'], eventId: string | null): void {
    if (this.#active) return;
    const pending = this.#pending;
    this.#pending = { userTexts: [], toolOutputs: [] };
    this.#responses++;
    const userInput = pending.userTexts.length > 0 || pending.userAudioMs !== undefined;
    const ctx: ResponseContext = {
      sessionId: this.id,
      trigger:
        pending.toolOutputs.length > 0
          ? 'tool_output'
          : userInput
            ? 'user_turn'
            : this.#responses === 1
              ? 'greeting'
              : 'prompted',
      turn: this.#turn,
      responseNumber: this.#responses,
      userText: pending.userTexts.length > 0 ? pending.userTexts.join('\n') : undefined,
      userAudioMs: pending.userAudioMs,
      toolOutputs: pending.toolOutputs,
      instructions: request?.instructions ?? this.config.instructions,
      tools: this.config.tools.map((t) => t.name),
    };
    const reply = resolveReply(this.#deps.script(), ctx);
    this.#deps.log.record(this.id, 'sim', { type: 'sim.reply', trigger: ctx.trigger, turn: ctx.turn, reply });
    if (reply.callTool && !ctx.tools.includes(reply.callTool.name)) {
      this.#error({
        type: 'server_error',
        code: 'simulator_script_error',
        message: `Script asked for tool '${reply.callTool.name}', which the client did not declare (declared: ${ctx.tools.join(', ') || 'none'}).`,
        event_id: eventId,
      });
      return;
    }
    if (reply.fault?.kind === 'error') {
      const { type = 'server_error', code, message } = reply.fault;
      this.#error({ type, code: code ?? null, message, event_id: eventId });
      return;
    }
    if (reply.fault?.kind === 'drop' && reply.fault.when === 'before_response') {
      this.drop();
      return;
    }
    const run = new ResponseRun({
      host: {
        send: (e) => this.#send(e),
        appendItem: (item) => this.#appendItem(item),
        updateItem: (item) => this.#updateItem(item),
        drop: () => this.drop(),
        voice: this.config.audio.output.voice,
        synthesize,
      },
      reply,
      ctx,
      pacing: this.#deps.pacing,
      metadata: request?.metadata,
    });
    this.#active = run;
    this.#deps.onResponse(run.record);
    void run.run().finally(() => {
      if (this.#active === run) this.#active = undefined;
    });
  }

  /** Appends at the conversation tail; returns the id of the item before it. */
  #appendItem(item: ServerItem): string | null {
    const previous = this.items.at(-1)?.id ?? null;
    this.items.push(item);
    return previous;
  }

  #updateItem(item: ServerItem): void {
    const at = this.items.findIndex((i) => i.id === item.id);
    if (at >= 0) this.items[at] = item;
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

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toServerItem(item: ClientItem): ServerItem {
  const id = item.id ?? newId('item');
  switch (item.type) {
    case 'message':
      return {
        id,
        object: 'realtime.item',
        type: 'message',
        role: item.role,
        status: 'completed',
        content: item.content,
      };
    case 'function_call':
      return {
        id,
        object: 'realtime.item',
        type: 'function_call',
        status: 'completed',
        call_id: item.call_id,
        name: item.name,
        arguments: item.arguments,
      };
    case 'function_call_output':
      return {
        id,
        object: 'realtime.item',
        type: 'function_call_output',
        status: 'completed',
        call_id: item.call_id,
        output: item.output,
      };
  }
}
