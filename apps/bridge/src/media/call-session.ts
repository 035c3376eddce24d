import { CloseCode, verifyStreamToken, type StartMessage } from '@callbridge/twilio-media';
import {
  PHONE_ATTRIBUTES,
  PHONE_CALL_STATUS,
  RPC_ERROR_CODES,
  phoneAttributes,
  phoneIdentityFor,
  remotePartyOf,
} from '@callbridge/room-contract';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { CallEntry, CallOutcome, CallRegistry } from '../calls/registry.js';
import type { BridgeConfig } from '../config.js';
import type { CallRooms } from '../livekit/call-rooms.js';
import type { EarlyPhones } from '../livekit/early-phone.js';
import {
  PhoneRpcRefusal,
  type NewPhoneLine,
  type PhoneLine,
  type PhoneLineEvents,
} from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from '../metrics.js';
import type { CallRecorder } from '../records/call-recorder.js';
import type { CallRecording } from '../recordings/call-recording.js';
import type { Recordings } from '../recordings/recordings.js';
import type { TwilioControl } from '../twilio/control.js';
import { registerAgentRpc } from './agent-rpc.js';
import { transferAttribute } from './transfer-attribute.js';
import type { LiveCalls } from '../calls/live-calls.js';
import { routeOfEntry } from '../routing/call-routes.js';
import { AgentWatch } from './agent-watch.js';
import { CallAudio, LIVEKIT_RATE } from './call-audio.js';
import { CallControl } from './call-control.js';
import { CallLatency } from './call-latency.js';
import { HeardTranscript } from './heard-transcript.js';
import { TwilioStream, type MediaSocket, type TwilioStreamEvents } from './twilio-stream.js';

/** Caller frames kept while the phone line is being made (it normally takes a few ms): 2 s. */
const EARLY_MEDIA_MAX = 100;

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
  /** Makes the call's phone line (the server passes the LiveKit participant; tests a fake). */
  newPhoneLine: NewPhoneLine;
  /** The operator console's view of active calls (stream start, agent state, latencies). */
  live?: Pick<LiveCalls, 'update' | 'addTurn'>;
  /** A call another bridge instance answered, taken here for its stream (see shared-calls.ts). */
  adoptCall?: (callSid: string) => Promise<CallEntry | undefined>;
  /** Call recordings (RECORD_CALLS); off when absent. */
  recordings?: Pick<Recordings, 'record' | 'finish'>;
  /** Phones that joined their call's room while it rang, taken over at the stream's start. */
  earlyPhones?: Pick<EarlyPhones, 'take'>;
}

/** Caller audio allowed to wait for LiveKit (see PhoneLineOptions), early and late joins alike. */
export const PHONE_BACKLOG = { targetBacklogMs: 60, maxBacklogMs: 200 } as const;

/**
 * One Twilio Media Stream: on `start` checks the stream token and joins the call's room as the
 * phone, moves audio both ways, and tears everything down exactly once however the call ends.
 */
export class CallSession {
  private log: Logger;
  /** `transferring`: the stream ended for a transfer; the phone stays in the room with the agent. */
  private state: 'awaiting_start' | 'joining' | 'live' | 'transferring' | 'handed_over' | 'ended' =
    'awaiting_start';
  /** The early phone being taken over at `start` (see early-phone.ts). */
  private earlyTake?: Promise<PhoneLine | undefined>;
  private stream: TwilioStream;
  private call?: CallEntry;
  private phone?: PhoneLine;
  private watch?: AgentWatch;
  private audio?: CallAudio;
  private latency?: CallLatency;
  private heard?: HeardTranscript;
  /** Both sides as they happen, from the stream's start to the call's end (across a failed transfer). */
  private recording?: CallRecording;
  private startedAt = 0;
  private endPromise?: Promise<void>;
  private readonly pendingDtmf: string[] = [];
  /** Caller frames from before the phone line exists (its token is being made); bounded. */
  private earlyMedia: { payload: string; chunk: number }[] = [];

  constructor(
    ws: MediaSocket,
    private readonly deps: CallSessionDeps,
  ) {
    this.log = deps.log;
    this.stream = new TwilioStream(ws, {
      metrics: deps.metrics,
      log: deps.log,
      maxMessageBytes: deps.config.maxMessageBytes,
      guard: (fn) => this.guarded(fn),
      events: this.streamEvents(),
    });
    this.stream.listen();
  }

  /** What this session does with its stream's messages (also a transfer's next stream's). */
  private streamEvents(): TwilioStreamEvents {
    return {
      onStart: (msg) => void this.start(msg),
      onMedia: (payload, chunk) => {
        // Recorded as it arrives (also while the phone line is being made).
        if (this.state === 'joining' || this.state === 'live') this.recording?.callerPayload(payload, chunk);
        this.onCallerMedia(payload, chunk);
      },
      onMark: (name) => this.audio?.relay.onMarkEchoed(name),
      onDtmf: (digit) => {
        this.log.info({ digit }, 'caller pressed a key');
        if (this.call) void this.deps.recorder?.dtmf(this.call.callSid);
        this.latency?.callerKey();
        // A key pressed while we are still joining the room is sent once we are in.
        if (this.state === 'live') this.publishDtmf(digit);
        else this.pendingDtmf.push(digit);
      },
      onStop: () => void this.end('caller_hung_up', 'twilio stop'),
      // Once `start` arrived the caller was on the stream: it dropped, joined yet or not.
      onSocketClosed: () =>
        void this.end(this.state === 'awaiting_start' ? 'no_stream' : 'stream_dropped', 'socket closed'),
      onProtocolError: (reason, closeCode) => void this.end('protocol_error', reason, closeCode),
    };
  }

  /** A bug in handling one call must end that call, not the process and every other call with it. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.metrics.rejected.inc({ reason: 'internal_error' });
      this.log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'call handler failed');
      void this.end('failed', 'internal error', 1011 /* RFC 6455: internal error */);
    }
  }

  private async start(msg: StartMessage): Promise<void> {
    const { config, registry, rooms, metrics, recorder } = this.deps;
    const refuse = (reason: string, detail: string) =>
      this.stream.refuse(reason, detail, CloseCode.policyViolation);
    this.state = 'joining';
    const { callSid, customParameters } = msg.start;
    const streamSid = msg.streamSid;
    this.log = this.stream.log = this.deps.log.child({ callSid, streamSid });
    const secret = config.streamToken.secret;
    const verdict = verifyStreamToken({ secret, token: customParameters?.streamToken, callSid });
    if (!verdict.ok) return refuse(`stream_token_${verdict.reason}`, 'stream token refused');
    if (!registry.claimNonce(verdict.nonce, verdict.expiresAtMs))
      return refuse('stream_token_replayed', 'stream token already used');
    // The token names this call: its messages pass from now on (caller audio is kept while the
    // call is looked up and joined).
    this.stream.accept(streamSid);
    const call = registry.get(callSid) ?? (await this.deps.adoptCall?.(callSid));
    if (!call) return refuse('unknown_call', 'no answered call with this CallSid');
    if ((this.state as string) === 'ended') {
      // The socket closed while the records were read: an adopted call stays with whoever gets
      // Twilio's next request.
      if (!call.streamSid && !call.handover && !call.streamTimer)
        this.deps.lifecycle.handOff(call, 'its stream closed before it started');
      return;
    }
    // A failed transfer's new stream: the session that carried the call (still in the room) takes it.
    if (call.handover && !call.streamSid) {
      if (call.handover(this.stream, streamSid)) return void (this.state = 'handed_over');
      return refuse('unknown_call', 'the call ended before its stream came back');
    }
    if (!registry.attachStream(call, streamSid, (outcome, reason) => this.end(outcome, reason)))
      return refuse('duplicate_stream', `call already streams as ${call.streamSid}`);
    this.call = call;
    this.startedAt = performance.now();
    this.recording = this.deps.recordings?.record(callSid, this.log);
    void recorder?.streamStarted(callSid, streamSid);
    this.deps.live?.update(callSid, { streamStartedAt: Date.now() });

    const latency = (this.latency = new CallLatency(this.startedAt, {
      onGreeting: (ms) => {
        this.log.info({ greetingMs: ms }, 'first agent audio');
        metrics.greetingSeconds.observe(ms / 1000);
        void recorder?.greeting(callSid, ms);
        this.deps.live?.update(callSid, { greetingMs: ms });
      },
      onTurn: (ms) => {
        this.log.info({ turnMs: ms, turn: latency.turnsMs.length }, 'agent answered');
        metrics.turnSeconds.observe(ms / 1000);
        void recorder?.turn(callSid, ms);
        this.deps.live?.addTurn(callSid, ms);
      },
    }));
    // Agent lines go into the record as the caller heard them (cut where a barge-in cleared them).
    this.heard =
      recorder &&
      new HeardTranscript(
        (line) => void recorder.transcript(callSid, line),
        () => this.audio?.relay.callerHearing ?? false,
      );
    const audio = (this.audio = this.newAudio(streamSid));
    // Whoever has the caller's ear (agent or operator), on whichever stream carries the call now.
    const control = new CallControl({
      callSid,
      relay: {
        interrupt: () => this.audio?.relay.interrupt(),
        onAgentState: (state) => this.audio?.relay.onAgentState(state),
      },
      live: this.deps.live,
      log: this.log,
    });

    // Named after the person on the line (the callee of an outbound call), as the agent expects.
    const identity = phoneIdentityFor(remotePartyOf(call), callSid);
    const attributes = phoneAttributes({ ...call, callSid, streamSid });
    const events: PhoneLineEvents = {
      // Through this.audio: a failed transfer's new stream gets a new one (none while dialing).
      onAgentAudio: (pcm, rate, channels) =>
        this.guarded(() => this.audio?.relay.onAgentAudio(pcm, rate, channels)),
      onAgentState: (state) => this.guarded(() => control.agentStateChanged(state)),
      onTakeover: (operator) => this.guarded(() => control.takeoverChanged(operator)),
      onAgentJoined: (agent) => {
        this.watch?.agentBack(agent);
        void recorder?.agentJoined(callSid, agent);
      },
      onAgentLeft: (agent) => {
        this.log.info({ agent }, 'agent left');
        this.onAgentGone();
      },
      onAgentUnreachable: (agent) => {
        this.log.warn({ agent }, 'agent connection lost');
        this.onAgentGone();
      },
      onAgentReachable: (agent) => this.watch?.agentBack(agent),
      onDisconnected: (reason) => void this.end('room_closed', reason),
      onRoomDeleted: () => void this.end('room_deleted', 'room deleted through the server API'),
      onReconnecting: () => this.watch?.reconnecting(),
      onReconnected: () => this.watch?.reconnected(),
      ...(recorder && {
        onTranscript: (line) => this.heard?.line(line),
        onToolCall: (entry) => void recorder.toolCall(callSid, entry),
      }),
    };
    try {
      // The phone that joined while the call rang (see early-phone.ts), or a join now.
      // Kept for teardown: a call that ends meanwhile leaves the early phone before its room goes.
      this.earlyTake = this.deps.earlyPhones?.take(callSid);
      const early = await this.earlyTake;
      const token = early ? '' : await rooms.phoneToken(call.room, identity, attributes);
      if ((this.state as string) === 'ended') {
        // Ended while the token was made or the early join settled: no join (teardown left the early phone).
        await early?.leave();
        return;
      }
      // Held before it joins, so a teardown that runs meanwhile ends the join and frees what it made.
      const phone = (this.phone =
        early ??
        this.deps.newPhoneLine({
          ...{ url: config.livekit.url, token, sampleRate: LIVEKIT_RATE },
          ...PHONE_BACKLOG,
          log: this.log,
          events,
        }));
      if (early) {
        early.adopt?.(events);
        this.log.info('the phone joined while the call rang: adopted');
      }
      // Caller audio from the stream's first frame on: the phone holds it until an agent listens.
      for (const m of this.earlyMedia.splice(0)) this.onCallerMedia(m.payload, m.chunk);
      this.watch = new AgentWatch({
        ...{ config, rooms, metrics, log: this.log, call, phone },
        isLive: () => this.state === 'live',
        resumeFields: async () => (await recorder?.resumeFields(callSid)) ?? {},
        end: (outcome, reason) => void this.end(outcome, reason),
      });
      // The early phone is in the room as ringing: now it is the answered call on this stream.
      await (early ? phone.setAttributes(attributes) : phone.join());
    } catch (err) {
      if ((this.state as string) === 'ended') return; // the call ended first; teardown left the phone
      this.log.error({ err: (err as Error).message }, 'could not join the call room');
      return void this.end('failed', 'livekit join failed', CloseCode.normal);
    }
    if ((this.state as string) === 'ended') {
      // The call ended while we were joining: teardown left the phone (after the join settled);
      // delete the room again in case our join re-created it after teardown deleted it.
      await this.phone.leave();
      await this.deleteRoomAgain(call.room);
      return;
    }
    registerAgentRpc(this.phone, {
      ...{ config, log: this.log, callSid, route: routeOfEntry(config.routes, call) },
      transfer: (to, summary) => this.transferOut(to, summary),
      interrupted: () => this.audio?.relay.interruptedByAgent(),
      end: (outcome, reason) => void this.end(outcome, reason),
      reportResult: recorder ? (result) => recorder.result(callSid, result) : undefined,
      answeredBy: () => call.answeredBy,
    });
    // The console's transfer: the same warm transfer and allow-list as the agent's `transfer` RPC.
    call.operatorTransfer = async (to) => {
      if (!config.transferAllowlist.includes(to))
        throw new PhoneRpcRefusal(
          RPC_ERROR_CODES.refused,
          `transfer target ${to} is not in TRANSFER_ALLOWLIST`,
        );
      if (!this.transferOut(to, 'An operator is transferring this call to you.'))
        throw new Error('the call cannot be transferred right now');
    };
    this.state = 'live';
    // A machine detection verdict that came while we joined, and every later one, reach the room.
    const relayVerdict = (verdict: string) =>
      void this.phone?.setAttributes({ [PHONE_ATTRIBUTES.answeredBy]: verdict }).catch((err: Error) => {
        this.log.warn({ err: err.message }, 'could not relay the machine detection verdict');
      });
    call.onAnsweredBy = relayVerdict;
    if (call.answeredBy && call.answeredBy !== attributes[PHONE_ATTRIBUTES.answeredBy])
      relayVerdict(call.answeredBy);
    for (const digit of this.pendingDtmf.splice(0)) this.publishDtmf(digit);
    this.log.info({ room: call.room, identity, chain: audio.uplink.describe() }, 'call live');
  }

  /** After a join that may have landed once teardown had deleted the room (LiveKit re-creates it). */
  private async deleteRoomAgain(room: string): Promise<void> {
    await this.deps.rooms.deleteRoom(room).catch((err: Error) => {
      this.log.warn({ room, err: err.message }, 'could not delete the call room');
    });
  }

  /** The agent left or is unreachable: silence its playback state; the watch may send a new one. */
  private onAgentGone(): void {
    this.audio?.relay.onAgentState('gone');
    this.watch?.agentGone();
  }

  private newAudio(streamSid: string): CallAudio {
    const { metrics } = this.deps;
    const heard = this.heard;
    return new CallAudio({
      ...{ streamSid, metrics, log: this.log, latency: this.latency },
      send: (json) => this.stream.send(json),
      onCleared: heard && ((report) => heard.cleared(report)),
      onHeardAll: heard && (() => heard.release()),
      recording: this.recording,
    });
  }

  /**
   * The agent asked for a transfer (allow-list checked): end the stream but not the call. Twilio
   * then asks /twilio/stream-ended, which dials; the phone stays in the room with the agent, told
   * through `callbridge.transfer`. Refused (false) unless the call is live.
   */
  private transferOut(to: string, summary: string | undefined): boolean {
    const call = this.call;
    if (this.state !== 'live' || !call || !this.phone) return false;
    const transfer = { attempt: (call.transfer?.attempt ?? 0) + 1, to, summary, state: 'dialing' as const };
    call.transfer = transfer;
    call.handover = (stream, streamSid) => this.takeStream(stream, streamSid);
    this.state = 'transferring';
    this.deps.registry.detachStream(call);
    void this.deps.recorder?.transferStep(call.callSid, 'transfer-dialing', `attempt ${transfer.attempt}`);
    void this.phone.setAttributes(transferAttribute(transfer)).catch((err: Error) => {
      this.log.warn({ err: err.message }, 'could not publish the transfer state');
    });
    this.audio?.close();
    this.audio = undefined;
    // Its close is expected now: the socket's end must not end the call.
    this.stream.silence();
    this.stream.close(CloseCode.normal, 'transfer');
    return true;
  }

  /** The transfer failed and Twilio opened a new stream: the caller is back with the agent. */
  private takeStream(stream: TwilioStream, streamSid: string): boolean {
    const call = this.call;
    if (this.state !== 'transferring' || !call?.transfer || !this.phone) return false;
    const { registry, recorder } = this.deps;
    if (!registry.attachStream(call, streamSid, (outcome, reason) => this.end(outcome, reason))) return false;
    this.log = this.deps.log.child({ callSid: call.callSid, streamSid });
    this.stream = stream;
    stream.handTo(this.streamEvents(), (fn) => this.guarded(fn), this.log);
    stream.accept(streamSid);
    this.audio = this.newAudio(streamSid);
    this.recording?.callerStreamStarted();
    call.handover = undefined;
    this.state = 'live';
    // An agent that left while the human's phone rang was not replaced (no caller to keep): now there is.
    if (this.phone.agentCount() === 0) this.onAgentGone();
    const transfer = call.transfer;
    this.log.info({ attempt: transfer.attempt, reason: transfer.reason }, 'transfer failed, caller back');
    void recorder?.transferStep(call.callSid, 'stream-started', streamSid);
    void this.phone
      .setAttributes({ [PHONE_ATTRIBUTES.streamSid]: streamSid, ...transferAttribute(transfer) })
      .catch((err: Error) => this.log.warn({ err: err.message }, 'could not publish the transfer state'));
    return true;
  }

  private publishDtmf(digit: string): void {
    this.phone
      ?.publishDtmf(digit)
      .catch((err: Error) => this.log.warn({ err: err.message }, 'dtmf publish failed'));
  }

  private onCallerMedia(payload: string, chunk: number): void {
    if (this.state === 'joining' && !this.phone) {
      // The first words of a caller who speaks at once are kept (the phone line is made next).
      if (this.earlyMedia.length < EARLY_MEDIA_MAX) this.earlyMedia.push({ payload, chunk });
      else this.deps.metrics.uplinkDropped.inc();
      return;
    }
    if ((this.state !== 'live' && this.state !== 'joining') || !this.audio || !this.phone) {
      this.deps.metrics.uplinkDropped.inc();
      return;
    }
    try {
      this.audio.carryCallerFrame(payload, chunk, this.phone);
    } catch (err) {
      this.stream.refuse('invalid_payload', (err as Error).message);
    }
  }

  /** Ends the call once: closes the socket, leaves and deletes the room, records the outcome. */
  end(outcome: CallOutcome, reason?: string, closeCode: number = CloseCode.normal): Promise<void> {
    this.endPromise ??= this.teardown(outcome, reason, closeCode);
    return this.endPromise;
  }

  private async teardown(outcome: CallOutcome, reason: string | undefined, closeCode: number): Promise<void> {
    const wasLive = this.state === 'live' || this.state === 'joining' || this.state === 'transferring';
    this.state = 'ended';
    this.watch?.stop();
    const { registry, rooms, twilio } = this.deps;
    // Before the socket closes: Twilio asks what next as soon as it sees the stream end.
    if (this.call) registry.recordEnding(this.call.callSid, { outcome });
    this.stream.close(closeCode, reason);
    if (!this.call) return; // never attached to a call: nothing else to free
    if (outcome === 'agent_hung_up' || outcome === 'room_deleted' || outcome === 'operator_ended') {
      await twilio.complete(this.call.callSid).catch((err: Error) => {
        this.log.warn({ err: err.message }, 'could not complete the call through the Twilio API');
      });
    }
    const room = this.call.room;
    if (outcome === 'transferred' && this.call.transfer) {
      // The agent sees the transfer connect before the phone leaves (sip.callStatus → hangup).
      this.call.transfer.state = 'accepted';
      await this.phone?.setAttributes(transferAttribute(this.call.transfer)).catch(() => undefined);
    }
    // Still waiting for the phone that joined while the call rang: it leaves before the room goes.
    if (!this.phone) await (await this.earlyTake)?.leave().catch(() => undefined);
    await this.phone
      ?.leave({
        callStatus: PHONE_CALL_STATUS.hangup,
        removeRemote: (identity) => rooms.removeParticipant(room, identity),
      })
      .catch(() => undefined);
    this.audio?.close();
    this.heard?.release();
    // Linked from the record before its ending is written, so an ended call shows its recording.
    if (this.recording) await this.deps.recordings?.finish(this.call.callSid, this.recording);
    await this.deps.lifecycle.releaseCall(this.call, outcome, reason, {
      durationMs: wasLive ? Math.round(performance.now() - this.startedAt) : 0,
      framesIn: this.audio?.framesIn ?? 0,
      framesOut: this.audio?.relay.framesSent ?? 0,
    });
  }
}
