import { CloseCode, decodeInbound, type StartMessage } from '@callbridge/twilio-media';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';

/** After this many refused messages a stream is more noise than call: close it. */
export const MAX_BAD_MESSAGES = 50;

/** The parts of a `ws` 8 WebSocket the stream uses (tests pass an EventEmitter with these). */
export interface MediaSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly CONNECTING: number;
  readonly CLOSING: number;
  readonly CLOSED: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error & { code?: string }) => void): unknown;
}

/** What a Media Stream says, once checked: the session reacts to these. */
export interface TwilioStreamEvents {
  onStart(msg: StartMessage): void;
  /** Caller audio of the accepted stream (inbound track only). */
  onMedia(payload: string, chunk: number): void;
  onMark(name: string): void;
  onDtmf(digit: string): void;
  onStop(): void;
  /** The socket is gone without a `stop` (also when it closed before the stream listened). */
  onSocketClosed(): void;
  /** The stream broke the protocol badly enough (or often enough) to be closed with `closeCode`. */
  onProtocolError(reason: string, closeCode: number): void;
}

export interface TwilioStreamOptions {
  metrics: Pick<BridgeMetrics, 'rejected' | 'framesOut'>;
  log: Logger;
  maxMessageBytes: number;
  /** Who hears this stream's events; {@link TwilioStream.handTo} changes it. */
  events: TwilioStreamEvents;
  /** Runs each message handler; a throw in one ends that call only. */
  guard: (fn: () => void) => void;
}

const IGNORED: TwilioStreamEvents = {
  onStart() {},
  onMedia() {},
  onMark() {},
  onDtmf() {},
  onStop() {},
  onSocketClosed() {},
  onProtocolError() {},
};

/**
 * One Twilio Media Stream socket: decodes and checks every message (text frames, size, the order
 * of `start`, the streamSid of everything after it) and reports typed events; counts what it
 * refuses and gives up on a stream after {@link MAX_BAD_MESSAGES}.
 */
export class TwilioStream {
  /** The session's logger; it gains the call's fields once the stream starts. */
  log: Logger;
  private started = false;
  private ended = false;
  private streamSid?: string;
  private badMessages = 0;

  constructor(
    private readonly ws: MediaSocket,
    private readonly opts: TwilioStreamOptions,
  ) {
    this.log = opts.log;
  }

  /**
   * Listens from the socket's first message (the server attaches it in ws's 'connection' event,
   * before any frame is read). A socket that closed before that has no 'close' event left: its
   * state says so.
   */
  listen(): void {
    const { ws, opts } = this;
    ws.on('message', (data, isBinary) => opts.guard(() => this.onMessage(data, isBinary)));
    ws.on('close', () => opts.events.onSocketClosed());
    // ws itself refuses some frames (over maxPayload, invalid UTF-8) and closes the socket; count them.
    ws.on('error', (err) => {
      const oversized = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      opts.metrics.rejected.inc({ reason: oversized ? 'oversized' : 'invalid_frame' });
      this.log.warn({ err: err.message }, 'media socket error');
    });
    if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) opts.events.onSocketClosed();
  }

  /** The `start` was accepted: from now on every message must carry this streamSid. */
  accept(streamSid: string): void {
    this.streamSid = streamSid;
  }

  /**
   * From now on another session hears this stream (a failed transfer's new stream goes to the
   * session that carried the call), with its own guard.
   */
  handTo(events: TwilioStreamEvents, guard: (fn: () => void) => void, log: Logger): void {
    this.opts.events = events;
    this.opts.guard = guard;
    this.log = log;
  }

  /** Nobody hears this stream any more (it was ended for a transfer; its close is expected). */
  silence(): void {
    this.opts.events = IGNORED;
  }

  /** Counts and logs a refused message; with `close`, or after too many, the stream is given up. */
  refuse(reason: string, detail: string, close?: number): void {
    this.opts.metrics.rejected.inc({ reason });
    this.log.warn({ reason, detail }, 'media message refused');
    if (close !== undefined) {
      this.opts.events.onProtocolError(reason, close);
    } else if (++this.badMessages >= MAX_BAD_MESSAGES) {
      this.opts.events.onProtocolError('too many bad messages', CloseCode.policyViolation);
    }
  }

  /** Sends a message to Twilio while the socket is open. */
  send(json: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(json);
    if (json.charCodeAt(10) === 109 /* "m" of "media" */) this.opts.metrics.framesOut.inc();
  }

  /** Stops handling messages and closes the socket if it is still open. */
  close(code: number, reason?: string): void {
    this.ended = true;
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason?.slice(0, 100));
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    const events = this.opts.events;
    if (isBinary)
      return this.refuse('binary_frame', 'Media Streams sends text frames only', CloseCode.unsupportedData);
    const decoded = decodeInbound(data, { maxBytes: this.opts.maxMessageBytes });
    if (!decoded.ok) {
      const { code, message, closeCode } = decoded.error;
      // Twilio may add events; an unknown one is logged and skipped, not fatal.
      const fatal = code === 'oversized' ? closeCode : undefined;
      return this.refuse(code, message, fatal);
    }
    const msg = decoded.message;
    if (msg.event === 'connected') return;
    if (msg.event === 'start') {
      if (this.started)
        return this.refuse('second_start', 'a stream sends start once', CloseCode.policyViolation);
      this.started = true;
      return events.onStart(msg);
    }
    if (!this.started) {
      if (msg.event === 'media')
        return this.refuse('media_before_start', 'media arrived before start', CloseCode.policyViolation);
      if (msg.event === 'stop') return this.refuse('stop_before_start', 'stop arrived before start');
    }
    if (msg.streamSid !== this.streamSid)
      return this.refuse('wrong_stream_sid', `streamSid ${msg.streamSid}`);
    switch (msg.event) {
      case 'media':
        if (msg.media.track === 'inbound') events.onMedia(msg.media.payload, Number(msg.media.chunk));
        return;
      case 'mark':
        return events.onMark(msg.mark.name);
      case 'dtmf':
        return events.onDtmf(msg.dtmf.digit);
      case 'stop':
        return events.onStop();
    }
  }
}
