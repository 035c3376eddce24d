/**
 * A connection's responses: at most one in flight. `response.create` and `response.cancel`, the
 * response a finished user turn starts, and the script's reply (or fault) for each.
 */
import type { Conversation } from './_conversation.js';
import type { ClientEvent, ErrorBody, SessionResource } from './_protocol.js';
import { ResponseRun, type ResponsePacing, type ResponseRecord } from './_response.js';
import type { TurnInput } from './_turn-input.js';
import { synthesize } from './_voice.js';
import type { EventLog } from './event-log.js';
import { resolveReply, type RealtimeScript } from './script.js';

type ResponseRequest = ClientEvent<'response.create'>['response'];

/** What the responder needs from its session. */
export interface ResponderHost {
  sessionId: string;
  log: EventLog;
  script: () => RealtimeScript;
  pacing: ResponsePacing;
  onResponse: (record: ResponseRecord) => void;
  conversation: Conversation;
  turns: TurnInput;
  config(): SessionResource;
  send(event: Record<string, unknown>): void;
  error(error: ErrorBody): void;
  drop(): void;
}

export class Responder {
  readonly #host: ResponderHost;
  #active: ResponseRun | undefined;

  constructor(host: ResponderHost) {
    this.#host = host;
  }

  /** `response.create`: refused while another response runs. */
  create(request: ResponseRequest, eventId: string | null): void {
    if (this.#active) {
      this.#host.error({
        type: 'invalid_request_error',
        code: 'conversation_already_has_active_response',
        message: `Conversation already has an active response in progress: ${this.#active.id}. Wait until the response is finished before creating a new one.`,
        event_id: eventId,
      });
      return;
    }
    this.start(request, eventId);
  }

  /** `response.cancel` of the active response (or of the one named). */
  cancel(responseId: string | undefined, eventId: string | null): void {
    const active = this.#active;
    if (!active || (responseId && responseId !== active.id)) {
      this.#host.error({
        type: 'invalid_request_error',
        code: 'response_cancel_not_active',
        message: 'Cancellation failed: no active response found',
        event_id: eventId,
      });
      return;
    }
    active.cancel('client_cancelled');
  }

  /** Ends the active response, if any: the user barged in, or the connection closed. */
  interrupt(reason: 'client_cancelled' | 'turn_detected'): void {
    this.#active?.cancel(reason);
  }

  /** Starts a response unless one runs (server VAD's turn ends start one without a request). */
  start(request: ResponseRequest, eventId: string | null): void {
    if (this.#active) return;
    const host = this.#host;
    const config = host.config();
    const ctx = host.turns.nextResponse({
      sessionId: host.sessionId,
      instructions: request?.instructions ?? config.instructions,
      tools: config.tools.map((t) => t.name),
    });
    const reply = resolveReply(host.script(), ctx);
    host.log.record(host.sessionId, 'sim', {
      type: 'sim.reply',
      trigger: ctx.trigger,
      turn: ctx.turn,
      reply,
    });
    if (reply.callTool && !ctx.tools.includes(reply.callTool.name)) {
      host.error({
        type: 'server_error',
        code: 'simulator_script_error',
        message: `Script asked for tool '${reply.callTool.name}', which the client did not declare (declared: ${ctx.tools.join(', ') || 'none'}).`,
        event_id: eventId,
      });
      return;
    }
    if (reply.fault?.kind === 'error') {
      const { type = 'server_error', code, message } = reply.fault;
      host.error({ type, code: code ?? null, message, event_id: eventId });
      return;
    }
    if (reply.fault?.kind === 'drop' && reply.fault.when === 'before_response') {
      host.drop();
      return;
    }
    const run = new ResponseRun({
      host: {
        send: (e) => host.send(e),
        appendItem: (item) => host.conversation.append(item),
        updateItem: (item) => host.conversation.update(item),
        drop: () => host.drop(),
        voice: config.audio.output.voice,
        synthesize,
      },
      reply,
      ctx,
      pacing: host.pacing,
      metadata: request?.metadata,
    });
    this.#active = run;
    host.onResponse(run.record);
    void run.run().finally(() => {
      if (this.#active === run) this.#active = undefined;
    });
  }
}
