import { CloseCode, type StartMessage } from '@callbridge/twilio-media';
import { phoneAttributes, phoneIdentityFor, remotePartyOf } from '@callbridge/room-contract';
import type { CallEntry, CallOutcome } from '../calls/registry.js';
import type { PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { CallRecording } from '../recordings/call-recording.js';
import { routeOfEntry } from '../routing/call-routes.js';
import { acceptStream, attachStreamTo, claimForAllBridges } from './admit-stream.js';
import { registerAgentRpc } from './agent-rpc.js';
import { AgentWatch } from './agent-watch.js';
import { CallAudio } from './call-audio.js';
import { CallControl } from './call-control.js';
import { CallerKeys } from './caller-keys.js';
import type { CallLatency } from './call-latency.js';
import type { CallSessionDeps } from './call-session-deps.js';
import { announceCallerBack, operatorTransfer, startTransfer } from './call-transfer.js';
import { HeardTranscript } from './heard-transcript.js';
import { joinCallPhone } from './join-call-phone.js';
import { reportedLatency } from './latency-report.js';
import { relayMachineVerdicts } from './machine-verdict.js';
import { sessionPhoneEvents } from './session-phone-events.js';
import { leaveLateJoin, tearDownSession } from './session-teardown.js';
import { TwilioStream, type MediaSocket, type TwilioStreamEvents } from './twilio-stream.js';

export type { CallSessionDeps } from './call-session-deps.js';
export { PHONE_BACKLOG } from './join-call-phone.js';

/** Caller frames kept while the phone line is being made (it normally takes a few ms): 2 s. */
const EARLY_MEDIA_MAX = 100;

/**
 * One Twilio Media Stream: on `start` checks the stream token and joins the call's room as the
 * phone, moves audio both ways, and tears everything down exactly once however the call ends.
 */
export class CallSession {
  private log: Logger;
  /** `transferring`: the stream ended for a transfer; the phone stays in the room with the agent. */
  private state: 'awaiting_start' | 'joining' | 'live' | 'transferring' | 'handed_over' | 'ended' =
    'awaiting_start';
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
  private readonly keys = new CallerKeys(() => this.log);
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
        this.keys.pressed(digit, this.state === 'live' ? this.phone : undefined);
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
    const { config, rooms, metrics, recorder } = this.deps;
    this.state = 'joining';
    const { callSid } = msg.start;
    const streamSid = msg.streamSid;
    this.log = this.stream.log = this.deps.log.child({ callSid, streamSid });
    const token = acceptStream(this.stream, msg, this.deps);
    if (!token) return;
    // Only bridges sharing records wait here: alone, the stream attaches in the same turn as its
    // `start`, before any message that came with it (a `stop` in the same read) is handled.
    if (this.deps.nonces && !(await claimForAllBridges(this.stream, token, this.deps.nonces))) return;
    const found = this.deps.registry.get(callSid) ?? (await this.deps.adoptCall?.(callSid));
    const call = attachStreamTo(found, this.stream, streamSid, {
      ...this.deps,
      ended: (this.state as string) === 'ended',
      end: (outcome, reason) => this.end(outcome, reason),
      onHandedOver: () => (this.state = 'handed_over'),
    });
    if (!call) return;
    this.call = call;
    this.startedAt = performance.now();
    this.recording = this.deps.recordings?.record(callSid, this.log);
    void recorder?.streamStarted(callSid, streamSid);
    this.deps.live?.update(callSid, { streamStartedAt: Date.now() });

    this.latency = reportedLatency(this.startedAt, { ...this.deps, callSid, log: () => this.log });
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
    const events = sessionPhoneEvents({
      ...{ callSid, control, recorder },
      log: () => this.log,
      audio: () => this.audio,
      watch: () => this.watch,
      heard: () => this.heard,
      guarded: (fn) => this.guarded(fn),
      agentGone: (agent) => this.onAgentGone(agent),
      end: (outcome, reason) => void this.end(outcome, reason),
    });
    let phone: PhoneLine | undefined;
    try {
      phone = await joinCallPhone({
        ...{ callSid, room: call.room, identity, attributes, events, log: this.log },
        ...{ livekitUrl: config.livekit.url, rooms, newPhoneLine: this.deps.newPhoneLine },
        sampleRate: config.phoneAudioSampleRate,
        earlyPhones: this.deps.earlyPhones,
        answeredElsewhereAt: call.answeredElsewhereAt,
        ended: () => (this.state as string) === 'ended',
        roomDeleted: () =>
          void this.end('room_deleted', 'room deleted through the server API while the call rang'),
        hold: (line) => (this.phone = line),
        ready: (line) => {
          // Caller audio from the stream's first frame on: the phone holds it until an agent listens.
          for (const m of this.earlyMedia.splice(0)) this.onCallerMedia(m.payload, m.chunk);
          this.watch = new AgentWatch({
            ...{ config, rooms, metrics, log: this.log, call, phone: line },
            isLive: () => this.state === 'live',
            resumeFields: async () => (await recorder?.resumeFields(callSid)) ?? {},
            end: (outcome, reason) => void this.end(outcome, reason),
          });
        },
      });
      if (!phone) return;
    } catch (err) {
      if ((this.state as string) === 'ended') return; // the call ended first; teardown left the phone
      this.log.error({ err: (err as Error).message }, 'could not join the call room');
      return void this.end('failed', 'livekit join failed', CloseCode.normal);
    }
    if ((this.state as string) === 'ended') {
      // The call ended while we were joining: teardown left the phone (after the join settled).
      return leaveLateJoin(phone, this.deps.rooms, call.room, this.log);
    }
    registerAgentRpc(phone, {
      ...{ config, log: this.log, callSid, route: routeOfEntry(config.routes, call) },
      transfer: (to, summary) => this.transferOut(to, summary),
      interrupted: () => this.audio?.relay.interruptedByAgent(),
      end: (outcome, reason) => void this.end(outcome, reason),
      reportResult: recorder ? (result) => recorder.result(callSid, result) : undefined,
      answeredBy: () => call.answeredBy,
    });
    // The console's transfer: the same warm transfer and allow-list as the agent's `transfer` RPC.
    call.operatorTransfer = operatorTransfer(config, (to, summary) => this.transferOut(to, summary));
    this.state = 'live';
    relayMachineVerdicts(call, phone, attributes, () => this.log);
    this.keys.live(phone);
    this.log.info({ room: call.room, identity, chain: audio.uplink.describe() }, 'call live');
  }

  /** The agent left or is unreachable: silence its playback state; the watch may send a new one. */
  private onAgentGone(agent?: string): void {
    this.audio?.relay.onAgentState('gone');
    this.watch?.agentGone(agent);
  }

  private newAudio(streamSid: string): CallAudio {
    const { metrics } = this.deps;
    const heard = this.heard;
    return new CallAudio({
      ...{ streamSid, metrics, log: this.log, latency: this.latency },
      livekitRate: this.deps.config.phoneAudioSampleRate,
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
    startTransfer({ call, phone: this.phone, ...this.deps, log: this.log }, to, summary);
    call.handover = (stream, streamSid) => this.takeStream(stream, streamSid);
    this.state = 'transferring';
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
    if (!this.deps.registry.attachStream(call, streamSid, (outcome, reason) => this.end(outcome, reason)))
      return false;
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
    announceCallerBack({ call, phone: this.phone, ...this.deps, log: this.log }, streamSid);
    return true;
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
    const startedAt = this.startedAt;
    const liveMs = () => (wasLive ? Math.round(performance.now() - startedAt) : 0);
    const { stream, log, call, phone, watch, audio, heard, recording } = this;
    const parts = { stream, log, call, phone, watch, audio, heard, recording, liveMs };
    await tearDownSession(parts, this.deps, outcome, reason, closeCode);
  }
}
