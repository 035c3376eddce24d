import { createDownlink, createUplink, type Downlink, type Uplink } from '@callbridge/audio';
import {
  CloseCode,
  decodeInbound,
  encodeClear,
  encodeMark,
  encodeMedia,
  verifyStreamToken,
  type StartMessage,
} from '@callbridge/twilio-media';
import {
  parseRpcPayload,
  phoneAttributes,
  phoneIdentityFor,
  remotePartyOf,
  RPC_ERROR_CODES,
  RPC_METHODS,
  RPC_OK,
  transferRequestSchema,
  type DispatchMetadata,
} from '@callbridge/room-contract';
import { RpcError } from '@livekit/rtc-node';
import type { WebSocket } from 'ws';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { CallEntry, CallOutcome, CallRegistry } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import type { CallRooms } from '../livekit/call-rooms.js';
import { PhoneParticipant } from '../livekit/phone-participant.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import type { CallRecorder } from '../records/call-recorder.js';
import { recordFromRoom } from '../records/room-listener.js';
import type { TwilioControl } from '../twilio/control.js';
import { AgentAudioRelay } from './agent-audio-relay.js';

export interface CallSessionDeps {
  config: BridgeConfig;
  rooms: CallRooms;
  registry: CallRegistry;
  metrics: BridgeMetrics;
  log: Logger;
  twilio: TwilioControl;
  /** Writes the call record as the call happens. */
  recorder?: CallRecorder;
  /** Ends the call's bookkeeping and deletes its room, once (the one way every call ends). */
  lifecycle: CallLifecycle;
}

const LIVEKIT_RATE = 48_000;
/** After this many refused messages a stream is more noise than call: close it. */
const MAX_BAD_MESSAGES = 50;

/**
 * One Twilio Media Stream: validates every message, joins the call's room as the phone participant
 * on `start`, moves audio both ways, and tears everything down exactly once however the call ends.
 */
export class CallSession {
  private log: Logger;
  private state: 'awaiting_start' | 'joining' | 'live' | 'ended' = 'awaiting_start';
  private call?: CallEntry;
  private streamSid?: string;
  private phone?: PhoneParticipant;
  private uplink?: Uplink;
  private downlink?: Downlink;
  private relay?: AgentAudioRelay;
  private startedAt = 0;
  private lastMediaAt = 0;
  private lastChunk = 0;
  private badMessages = 0;
  private framesIn = 0;
  private endPromise?: Promise<void>;
  private readonly pendingDtmf: string[] = [];
  private transferTo?: string;
  private agentLostAt?: number;
  private agentGraceTimer?: NodeJS.Timeout;
  private agentGiveUpTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: CallSessionDeps,
    earlyMessages: { data: Buffer | string; isBinary?: boolean }[] = [],
  ) {
    this.log = deps.log;
    for (const m of earlyMessages) this.guarded(() => this.onMessage(m.data, m.isBinary));
    ws.on('message', (data: Buffer | string, isBinary?: boolean) =>
      this.guarded(() => this.onMessage(data, isBinary)),
    );
    ws.on('close', () => this.onSocketClosed());
    // ws itself refuses some frames (over maxPayload, invalid UTF-8) and closes the socket; count them.
    ws.on('error', (err: Error & { code?: string }) => {
      const oversized = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || /max payload/i.test(err.message);
      this.deps.metrics.rejected.inc({ reason: oversized ? 'oversized' : 'invalid_frame' });
      this.log.warn({ err: err.message }, 'media socket error');
    });
    // The socket can close before express-ws hands it to us (a caller who hangs up at once): its
    // 'close' event is then already gone, so look at its state instead of waiting for it.
    if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) this.onSocketClosed();
  }

  /**
   * The media socket is gone without a `stop`. Once `start` arrived the caller was on the stream,
   * so the stream dropped, whether or not we had finished joining the room yet.
   */
  private onSocketClosed(): void {
    void this.end(this.state === 'awaiting_start' ? 'no_stream' : 'stream_dropped', 'socket closed');
  }

  /**
   * A bug in handling one call must end that call, not the process and every other call with it.
   */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.metrics.rejected.inc({ reason: 'internal_error' });
      this.log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'call handler failed');
      void this.end('failed', 'internal error', 1011 /* RFC 6455: internal error */);
    }
  }

  private reject(reason: string, detail: string, close?: number): void {
    this.deps.metrics.rejected.inc({ reason });
    this.log.warn({ reason, detail }, 'media message refused');
    if (close !== undefined) {
      void this.end('protocol_error', reason, close);
    } else if (++this.badMessages >= MAX_BAD_MESSAGES) {
      void this.end('protocol_error', 'too many bad messages', CloseCode.policyViolation);
    }
  }

  private onMessage(data: Buffer | string, isBinary: boolean | undefined): void {
    if (this.state === 'ended') return;
    // ws 8 says whether a frame was binary; ws 7 (under express-ws) delivers text as a string.
    if (isBinary ?? typeof data !== 'string')
      return this.reject('binary_frame', 'Media Streams sends text frames only', CloseCode.unsupportedData);
    const decoded = decodeInbound(data, { maxBytes: this.deps.config.maxMessageBytes });
    if (!decoded.ok) {
      const { code, message, closeCode } = decoded.error;
      // Twilio may add events; an unknown one is logged and skipped, not fatal.
      const fatal = code === 'oversized' ? closeCode : undefined;
      return this.reject(code, message, fatal);
    }
    const msg = decoded.message;
    switch (msg.event) {
      case 'connected':
        return;
      case 'start':
        if (this.state !== 'awaiting_start') {
          return this.reject('second_start', 'a stream sends start once', CloseCode.policyViolation);
        }
        void this.start(msg);
        return;
      case 'media': {
        if (this.state === 'awaiting_start') {
          return this.reject('media_before_start', 'media arrived before start', CloseCode.policyViolation);
        }
        if (msg.streamSid !== this.streamSid)
          return this.reject('wrong_stream_sid', `streamSid ${msg.streamSid}`);
        if (msg.media.track !== 'inbound') return;
        this.onCallerMedia(msg.media.payload, Number(msg.media.chunk));
        return;
      }
      case 'mark':
        if (msg.streamSid !== this.streamSid)
          return this.reject('wrong_stream_sid', `streamSid ${msg.streamSid}`);
        this.relay?.onMarkEchoed(msg.mark.name);
        return;
      case 'dtmf':
        if (msg.streamSid !== this.streamSid)
          return this.reject('wrong_stream_sid', `streamSid ${msg.streamSid}`);
        this.log.info({ digit: msg.dtmf.digit }, 'caller pressed a key');
        // A key pressed while we are still joining the room is sent once we are in.
        if (this.state === 'live') this.publishDtmf(msg.dtmf.digit);
        else this.pendingDtmf.push(msg.dtmf.digit);
        return;
      case 'stop':
        if (this.state === 'awaiting_start')
          return this.reject('stop_before_start', 'stop arrived before start');
        if (msg.streamSid !== this.streamSid)
          return this.reject('wrong_stream_sid', `streamSid ${msg.streamSid}`);
        void this.end('caller_hung_up', 'twilio stop');
        return;
    }
  }

  private async start(msg: StartMessage): Promise<void> {
    const { config, registry, rooms, metrics } = this.deps;
    this.state = 'joining';
    const callSid = msg.start.callSid;
    this.log = this.deps.log.child({ callSid, streamSid: msg.streamSid });
    const params = msg.start.customParameters ?? {};
    const verdict = verifyStreamToken({
      secret: config.streamToken.secret,
      token: params.streamToken,
      callSid,
    });
    if (!verdict.ok)
      return this.reject(`stream_token_${verdict.reason}`, 'stream token refused', CloseCode.policyViolation);
    if (!registry.claimNonce(verdict.nonce, verdict.expiresAtMs)) {
      return this.reject('stream_token_replayed', 'stream token already used', CloseCode.policyViolation);
    }
    const call = registry.get(callSid);
    if (!call)
      return this.reject('unknown_call', 'no answered call with this CallSid', CloseCode.policyViolation);
    if (!registry.attachStream(call, msg.streamSid, (outcome, reason) => this.end(outcome, reason))) {
      return this.reject(
        'duplicate_stream',
        `call already streams as ${call.streamSid}`,
        CloseCode.policyViolation,
      );
    }
    this.call = call;
    this.streamSid = msg.streamSid;
    this.startedAt = performance.now();
    void this.deps.recorder?.streamStarted(callSid, msg.streamSid);

    this.uplink = createUplink({ outputRate: LIVEKIT_RATE, engine: config.audioEngine });
    this.downlink = createDownlink({ inputRate: LIVEKIT_RATE, engine: config.audioEngine });
    const streamSid = msg.streamSid;
    this.relay = new AgentAudioRelay({
      downlink: this.downlink,
      sink: {
        sendMedia: (payload) => this.send(encodeMedia(streamSid, payload)),
        sendMark: (name) => this.send(encodeMark(streamSid, name)),
        sendClear: () => {
          metrics.clears.inc();
          this.log.info('agent interrupted: clearing caller playback');
          this.send(encodeClear(streamSid));
        },
      },
      onConverted: (us) => metrics.conversionSeconds.observe({ direction: 'down' }, us / 1e6),
    });

    // Named after the person on the line (the callee of an outbound call), as the agent expects.
    const identity = phoneIdentityFor(remotePartyOf(call), callSid);
    const attributes = phoneAttributes({ ...call, callSid, streamSid });
    try {
      const token = await rooms.phoneToken(call.room, identity, attributes);
      const relay = this.relay;
      if ((this.state as string) === 'ended') return; // ended while the token was made: no join
      // Held before it joins, so a teardown that runs meanwhile ends the join and frees what it made.
      this.phone = new PhoneParticipant({
        url: config.livekit.url,
        token,
        sampleRate: LIVEKIT_RATE,
        targetBacklogMs: 60,
        maxBacklogMs: 200,
        events: {
          onAgentAudio: (pcm, rate, channels) => this.guarded(() => relay.onAgentAudio(pcm, rate, channels)),
          onAgentState: (state) => this.guarded(() => relay.onAgentState(state)),
          onAgentJoined: (agent) => {
            this.onAgentBack(agent);
            void this.deps.recorder?.agentJoined(callSid, agent);
          },
          onAgentLeft: (agent) => {
            this.log.info({ agent }, 'agent left');
            this.onAgentGone();
          },
          onAgentUnreachable: (agent) => {
            this.log.warn({ agent }, 'agent connection lost');
            this.onAgentGone();
          },
          onAgentReachable: (agent) => this.onAgentBack(agent),
          onDisconnected: (reason) => void this.end('room_closed', reason),
          onReconnecting: () => {
            this.log.warn('lost LiveKit: reconnecting');
            clearTimeout(this.reconnectTimer);
            this.reconnectTimer = setTimeout(
              () => void this.end('room_closed', 'livekit unreachable'),
              config.livekitReconnectTimeoutMs,
            );
          },
          onReconnected: () => {
            this.log.info('LiveKit connection restored');
            clearTimeout(this.reconnectTimer);
          },
        },
        beforeConnect: (room) => {
          const recorder = this.deps.recorder;
          if (recorder) recordFromRoom(room, callSid, recorder, this.log);
        },
      });
      await this.phone.join();
    } catch (err) {
      if ((this.state as string) === 'ended') return; // the call ended first; teardown left the phone
      this.log.error({ err: (err as Error).message }, 'could not join the call room');
      return void this.end('failed', 'livekit join failed', CloseCode.normal);
    }
    if ((this.state as string) === 'ended') {
      // The call ended while we were joining: teardown left the phone (after the join settled);
      // delete the room again in case our join re-created it after teardown deleted it.
      await this.phone.leave();
      await rooms.deleteRoom(call.room).catch((err: Error) => {
        this.log.warn({ room: call.room, err: err.message }, 'could not delete the call room');
      });
      return;
    }
    this.registerRpc();
    this.state = 'live';
    for (const digit of this.pendingDtmf.splice(0)) this.publishDtmf(digit);
    this.log.info({ room: call.room, identity, chain: this.uplink.describe() }, 'call live');
  }

  /**
   * The agent left, or LiveKit lost its connection, while the caller is still on the line (its
   * worker died, or it hung up without the RPC). Give LiveKit a moment to bring it back, then
   * dispatch a new one; if none arrives in time, end the call so Twilio plays the apology (see
   * /twilio/stream-ended).
   */
  private onAgentGone(): void {
    this.relay?.onAgentState('gone');
    if (this.state !== 'live' || !this.call || (this.phone?.agentCount() ?? 0) > 0) return;
    const call = this.call;
    const { config, rooms, metrics } = this.deps;
    this.agentLostAt = performance.now();
    this.clearAgentTimers();
    this.agentGraceTimer = setTimeout(() => {
      if (this.state !== 'live' || (this.phone?.agentCount() ?? 0) > 0) return;
      metrics.agentRedispatches.inc();
      this.log.warn({ room: call.room }, 'no agent in the call: dispatching a new one');
      // An agent whose connection is lost may still come back; take it out so the caller never
      // hears two agents at once.
      for (const identity of this.phone?.unreachableAgents() ?? [])
        rooms
          .removeParticipant(call.room, identity)
          .catch((err: Error) =>
            this.log.warn({ err: err.message, agent: identity }, 'could not remove agent'),
          );
      const context = { callSid: call.callSid, direction: call.direction, from: call.from, to: call.to };
      rooms
        .dispatchAgent(call.room, config.agentName, { ...context, resumed: true } satisfies DispatchMetadata)
        .catch((err: Error) => this.log.error({ err: err.message }, 'agent re-dispatch failed'));
    }, config.agentRejoinGraceMs);
    this.agentGiveUpTimer = setTimeout(() => {
      if ((this.phone?.agentCount() ?? 0) > 0) return;
      this.log.error({ waitedMs: config.agentRejoinTimeoutMs }, 'no agent came back: ending the call');
      void this.end('agent_lost', 'no agent');
    }, config.agentRejoinTimeoutMs);
  }

  private onAgentBack(agent: string): void {
    this.log.info({ agent }, 'agent joined');
    this.clearAgentTimers();
    if (this.agentLostAt !== undefined) {
      this.log.info({ agent, gapMs: Math.round(performance.now() - this.agentLostAt) }, 'agent replaced');
      this.agentLostAt = undefined;
    }
  }

  private clearAgentTimers(): void {
    clearTimeout(this.agentGraceTimer);
    clearTimeout(this.agentGiveUpTimer);
    clearTimeout(this.reconnectTimer);
  }

  private publishDtmf(digit: string): void {
    this.phone
      ?.publishDtmf(digit)
      .catch((err: Error) => this.log.warn({ err: err.message }, 'dtmf publish failed'));
  }

  private registerRpc(): void {
    const phone = this.phone!;
    phone.registerRpc(RPC_METHODS.hangup, async (data) => {
      this.log.info({ agent: data.callerIdentity }, 'agent hung up');
      // Answer first so the agent is not left waiting for a room that is going away.
      setTimeout(() => void this.end('agent_hung_up', 'hangup rpc'), 0);
      return JSON.stringify(RPC_OK);
    });
    phone.registerRpc(RPC_METHODS.transfer, async (data) => {
      const request = parseRpcPayload(transferRequestSchema, data.payload);
      if (!request.ok) {
        this.log.warn({ agent: data.callerIdentity, issue: request.issue }, 'transfer payload refused');
        throw new RpcError(RPC_ERROR_CODES.badPayload, 'transfer payload must be JSON {"to": "+1..."}');
      }
      const { to } = request.value;
      if (!this.deps.config.transferAllowlist.includes(to)) {
        throw new RpcError(RPC_ERROR_CODES.refused, `transfer target ${to} is not in TRANSFER_ALLOWLIST`);
      }
      // With API credentials Twilio is told at once; without, ending the stream makes Twilio ask
      // /twilio/stream-ended, which answers with the <Dial>.
      if (this.deps.twilio.canControlCalls) await this.deps.twilio.transfer(this.call!.callSid, to);
      this.transferTo = to;
      this.log.info({ callee: to }, 'call transferred');
      setTimeout(() => void this.end('transferred', 'transfer rpc'), 0);
      return JSON.stringify(RPC_OK);
    });
  }

  private onCallerMedia(payload: string, chunk: number): void {
    if (this.state !== 'live' || !this.uplink || !this.phone) {
      this.deps.metrics.uplinkDropped.inc();
      return;
    }
    const now = performance.now();
    if (this.lastMediaAt > 0 && now - this.lastMediaAt > 40)
      this.deps.metrics.lateFrames.inc({ kind: 'late' });
    if (this.lastChunk > 0 && chunk > this.lastChunk + 1) {
      this.deps.metrics.lateFrames.inc({ kind: 'missing' }, chunk - this.lastChunk - 1);
    }
    this.lastMediaAt = now;
    this.lastChunk = chunk;
    let pcm: Int16Array;
    try {
      pcm = this.uplink.processBase64(payload);
    } catch (err) {
      return this.reject('invalid_payload', (err as Error).message);
    }
    const measure = (++this.framesIn & 7) === 0;
    this.deps.metrics.framesIn.inc();
    const dropped = this.phone.droppedFrames;
    this.phone.pushCallerAudio(pcm);
    if (this.phone.droppedFrames > dropped)
      this.deps.metrics.uplinkDropped.inc(this.phone.droppedFrames - dropped);
    if (measure)
      this.deps.metrics.conversionSeconds.observe({ direction: 'up' }, (performance.now() - now) / 1000);
  }

  private send(json: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(json);
    if (json.charCodeAt(10) === 109 /* "m" of "media" */) this.deps.metrics.framesOut.inc();
  }

  /** Ends the call once: closes the socket, leaves and deletes the room, records the outcome. */
  end(outcome: CallOutcome, reason?: string, closeCode: number = CloseCode.normal): Promise<void> {
    this.endPromise ??= this.teardown(outcome, reason, closeCode);
    return this.endPromise;
  }

  private async teardown(outcome: CallOutcome, reason: string | undefined, closeCode: number): Promise<void> {
    const wasLive = this.state === 'live' || this.state === 'joining';
    this.state = 'ended';
    this.clearAgentTimers();
    const { registry, rooms } = this.deps;
    // Before the socket closes: Twilio asks what next as soon as it sees the stream end.
    if (this.call) registry.recordEnding(this.call.callSid, { outcome, transferTo: this.transferTo });
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(closeCode, reason?.slice(0, 100));
    }
    if (!this.call) return; // never attached to a call: nothing else to free
    if (outcome === 'agent_hung_up') {
      await this.deps.twilio.complete(this.call.callSid).catch((err: Error) => {
        this.log.warn({ err: err.message }, 'could not complete the call through the Twilio API');
      });
    }
    const room = this.call.room;
    await this.phone
      ?.leave({ removeRemote: (identity) => rooms.removeParticipant(room, identity) })
      .catch(() => undefined);
    this.uplink?.close();
    this.downlink?.close();
    await this.deps.lifecycle.releaseCall(this.call, outcome, reason, {
      durationMs: wasLive ? Math.round(performance.now() - this.startedAt) : 0,
      framesIn: this.framesIn,
      framesOut: this.relay?.framesSent ?? 0,
    });
  }
}
