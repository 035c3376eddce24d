import type { AudioFrame } from '@livekit/rtc-node';
import {
  AudioSource,
  AudioStream,
  ConnectionQuality,
  DisconnectReason,
  LocalAudioTrack,
  ParticipantKind,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  RpcError,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AGENT_STATE_ATTRIBUTE, isAgentSessionUp, PHONE_ATTRIBUTES } from '@callbridge/room-contract';
import {
  PhoneRpcRefusal,
  type LeaveOptions,
  type PhoneLineEvents,
  type NewPhoneLine,
  type PhoneLine,
  type PhoneLineOptions,
  type PhoneRpcCall,
} from './phone-line.js';
import { releaseRoom, removeRemoteParticipants } from './release-room.js';
import { TakeoverGate } from './takeover-gate.js';
import { CallerUplink } from './caller-uplink.js';
import { readRoomText } from './room-text.js';

/** How long leaving waits for the server to take the phone's `sip.callStatus` before it goes anyway. */
const CALL_STATUS_WAIT_MS = 500;

/** A join (connect and publish) that takes longer than this is given up and cleaned up. */
export const JOIN_TIMEOUT_MS = 20_000;

/** The phone line as a LiveKit participant: one microphone out, the agent's audio in. */
export class PhoneParticipant implements PhoneLine {
  readonly room = new Room();
  private source?: AudioSource;
  /** The caller's audio on its way into the track (held until an agent listens). */
  private readonly uplink: CallerUplink;
  private trackSubscribed = false;
  private readonly agentStates = new Map<string, string>();
  private closed = false;
  private readonly readers = new Map<string, ReadableStreamDefaultReader<AudioFrame>>();
  private readonly rpcMethods = new Set<string>();
  /** Agents still in the room whose connection LiveKit reports lost. */
  private readonly unreachable = new Set<string>();
  /** While an operator has taken the call over, only their audio reaches the caller. */
  private readonly takeover: TakeoverGate;

  /** The join in flight (or done): leave() waits for it, so nothing it creates outlives the call. */
  private joining?: Promise<void>;
  /** The join has finished, either way: leave() no longer needs to cut it short. */
  private joinSettled = false;
  private leaving?: Promise<void>;
  /** Where the room's news goes: the call's session, or (joined early, see {@link adopt}) no one yet. */
  private events: PhoneLineEvents;
  /** Subscribes to the agents' audio: at once, or (joined early) once a session adopts the line. */
  private hearing: boolean;

  constructor(private readonly opts: PhoneLineOptions) {
    this.events = opts.events;
    this.hearing = !opts.deferAgentAudio;
    this.uplink = new CallerUplink(opts);
    this.takeover = new TakeoverGate((operator) => this.events.onTakeover?.(operator));
  }

  /**
   * The call's session takes over a line that joined early (`deferAgentAudio`): the room's news
   * goes to it from now on, the agents already here and their states are reported again, and the
   * line subscribes to their audio. LiveKit Agents hold their first words until someone subscribes,
   * so nothing is said before the caller can hear it.
   */
  adopt(events: PhoneLineEvents): void {
    this.events = events;
    if (this.hearing) return;
    this.hearing = true;
    for (const p of this.room.remoteParticipants.values()) this.onParticipant(p);
    this.subscribeAudio();
  }

  /** Subscribes every audio track in the room (a line that joined early, once adopted). */
  private subscribeAudio(): void {
    for (const p of this.room.remoteParticipants.values())
      for (const pub of p.trackPublications.values())
        if (pub.kind === TrackKind.KIND_AUDIO && !pub.subscribed) pub.setSubscribed(true);
  }

  /** Caller frames dropped so far: over the backlog bound, or held too long before anyone listened. */
  get droppedFrames(): number {
    return this.uplink.droppedFrames;
  }

  /** The caller audio (ms) waiting for LiveKit when the latest frame was pushed. */
  get backlogMs(): number {
    return this.uplink.backlogMs;
  }

  /** Silent caller frames left out to bring the backlog down. */
  get trimmedSilentFrames(): number {
    return this.uplink.trimmedSilentFrames;
  }

  /** How much held caller audio (ms) was released to the agent once it listened. */
  get heldReleasedMs(): number {
    return this.uplink.heldReleasedMs;
  }

  /** Creates the phone and joins; see {@link join}. */
  static async join(opts: PhoneLineOptions): Promise<PhoneParticipant> {
    const phone = new PhoneParticipant(opts);
    await phone.join();
    return phone;
  }

  /**
   * Connects and publishes the phone's microphone. A join that fails, times out, or is overtaken
   * by {@link leave} leaves nothing behind (no connected room, no capture source): each would keep
   * native threads busy for good. The join is bounded: rtc-node's publish holds the room's event
   * lock while it waits, so a "disconnected" event cannot end it; only the SDK's own publish
   * timeout does (seen after 10+ s under load). The timeout, and leave(), disconnect to end it.
   */
  async join(timeoutMs = JOIN_TIMEOUT_MS): Promise<void> {
    if (this.closed || this.joining) throw new Error('a phone participant joins once');
    this.joining = this.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.joining,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`LiveKit join timed out after ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      await this.leave().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
      this.joinSettled = true;
    }
  }

  private async connect(): Promise<void> {
    const { room, opts } = this;
    room
      // Joined early: audio published after the line was adopted is subscribed by hand.
      .on(RoomEvent.TrackPublished, (pub) => {
        if (opts.deferAgentAudio && this.hearing && pub.kind === TrackKind.KIND_AUDIO)
          pub.setSubscribed(true);
      })
      .on(RoomEvent.TrackSubscribed, (track, _pub, participant) => this.onTrack(track, participant))
      .on(RoomEvent.TrackUnsubscribed, (track) => this.stopReading(track.sid ?? ''))
      .on(RoomEvent.ParticipantAttributesChanged, (changed, participant) => {
        this.takeover.note(participant.identity, participant.attributes);
        const state = changed[AGENT_STATE_ATTRIBUTE];
        if (state !== undefined && participant.identity !== room.localParticipant?.identity) {
          this.agentStates.set(participant.identity, state);
          this.events.onAgentState(state, participant.identity);
          this.maybeRelease();
        }
      })
      .on(RoomEvent.ParticipantConnected, (p) => this.onParticipant(p))
      .on(RoomEvent.LocalTrackSubscribed, () => {
        this.trackSubscribed = true;
        this.maybeRelease();
      })
      .on(RoomEvent.ParticipantDisconnected, (p) => {
        this.takeover.left(p.identity);
        // An unreachable agent was already reported gone; leaving now changes nothing for the call.
        if (isAgent(p) && !this.unreachable.delete(p.identity)) this.events.onAgentLeft(p.identity);
      })
      .on(RoomEvent.ConnectionQualityChanged, (quality, p) => {
        if (p === room.localParticipant || !isAgent(p as RemoteParticipant)) return;
        if (quality === ConnectionQuality.QUALITY_LOST) {
          if (this.unreachable.has(p.identity)) return;
          this.unreachable.add(p.identity);
          this.events.onAgentUnreachable(p.identity);
        } else if (this.unreachable.delete(p.identity)) {
          this.events.onAgentReachable(p.identity);
        }
      })
      .on(RoomEvent.Reconnecting, () => this.events.onReconnecting())
      .on(RoomEvent.Reconnected, () => this.events.onReconnected())
      .on(RoomEvent.Disconnected, (reason) => {
        if (this.closed) return;
        if (reason === DisconnectReason.ROOM_DELETED) this.events.onRoomDeleted();
        else this.events.onDisconnected(DisconnectReason[reason] ?? String(reason));
      });
    const { onTranscript, onToolCall } = opts.events;
    readRoomText(
      room,
      {
        onTranscript: onTranscript && ((line) => this.events.onTranscript?.(line)),
        onToolCall: onToolCall && ((entry) => this.events.onToolCall?.(entry)),
      },
      opts.log,
    );
    await room.connect(opts.url, opts.token, { autoSubscribe: !opts.deferAgentAudio, dynacast: false });
    if (this.closed) throw new Error('left while joining');
    // Room for bursts; the backlog check in pushCallerAudio keeps the latency down.
    this.source = new AudioSource(opts.sampleRate, 1, Math.max(200, opts.maxBacklogMs * 2));
    this.uplink.attach(this.source);
    const track = LocalAudioTrack.createAudioTrack('phone', this.source);
    const publish = new TrackPublishOptions();
    // LiveKit Agents only listen to microphone tracks.
    publish.source = TrackSource.SOURCE_MICROPHONE;
    await room.localParticipant!.publishTrack(track, publish);
    if (this.closed) throw new Error('left while joining');
    for (const p of room.remoteParticipants.values()) this.onParticipant(p);
    // Adopted while it was still joining: the tracks already in the room were not announced.
    if (opts.deferAgentAudio && this.hearing) this.subscribeAudio();
    this.maybeRelease();
  }

  /** A participant already in the room (or just arrived) may be mid-utterance: report its state. */
  private onParticipant(p: RemoteParticipant): void {
    this.takeover.note(p.identity, p.attributes);
    if (isAgent(p)) this.events.onAgentJoined(p.identity);
    const state = p.attributes[AGENT_STATE_ATTRIBUTE];
    if (state !== undefined) {
      this.agentStates.set(p.identity, state);
      this.events.onAgentState(state, p.identity);
    }
    this.maybeRelease();
  }

  /**
   * Someone hears the phone's track: it is subscribed, and an agent in the room (if any: a plain
   * participant such as `lk room join` has no session to wait for) has its session up. Then the
   * held audio goes out: leading silence trimmed, the rest at once, and the backlog allowed to
   * exceed its bound by what is left of it until LiveKit has consumed it (silent frames are still
   * trimmed meanwhile, so the line catches up in the caller's pauses).
   */
  private maybeRelease(): void {
    if (this.uplink.isReleased || this.closed || !this.source || !this.trackSubscribed) return;
    const agents = [...this.room.remoteParticipants.values()].filter(isAgent);
    if (agents.length > 0 && !agents.some((a) => isAgentSessionUp(this.agentStates.get(a.identity)))) return;
    this.uplink.release();
  }

  get identity(): string {
    return this.room.localParticipant?.identity ?? '';
  }

  /** Hands caller audio on (held until an agent listens, then within the backlog bound); never waits. */
  pushCallerAudio(pcm: Int16Array): void {
    if (!this.closed) this.uplink.push(pcm);
  }

  /** Agents (participants of kind AGENT) in the room now whose connection is not lost. */
  agentCount(): number {
    let n = 0;
    for (const p of this.room.remoteParticipants.values())
      if (isAgent(p) && !this.unreachable.has(p.identity)) n++;
    return n;
  }

  /** Agents still in the room whose connection LiveKit reports lost. */
  unreachableAgents(): string[] {
    return [...this.unreachable];
  }

  registerRpc(method: string, handler: (call: PhoneRpcCall) => Promise<string>): void {
    this.room.localParticipant?.registerRpcMethod(method, async ({ callerIdentity, payload }) => {
      try {
        return await handler({ callerIdentity, payload });
      } catch (err) {
        // The contract's refusals reach the caller as RPC errors with their code.
        if (err instanceof PhoneRpcRefusal) throw new RpcError(err.code, err.message);
        throw err;
      }
    });
    this.rpcMethods.add(method);
  }

  async publishDtmf(digit: string): Promise<void> {
    await this.room.localParticipant?.publishDtmf(dtmfCode(digit), digit);
  }

  async setAttributes(attributes: Record<string, string>): Promise<void> {
    await this.room.localParticipant?.setAttributes(attributes);
  }

  private onTrack(track: RemoteTrack, participant: RemoteParticipant): void {
    if (track.kind !== TrackKind.KIND_AUDIO || this.closed) return;
    const sid = track.sid ?? `${participant.identity}-audio`;
    // 20 ms frames: half the FFI events of the default 10 ms, and exactly one Twilio frame each.
    const reader = new AudioStream(track, {
      sampleRate: this.opts.sampleRate,
      numChannels: 1,
      frameSizeMs: 20,
    }).getReader();
    this.readers.set(sid, reader);
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done || !value || this.closed) break;
          if (!this.takeover.passes(participant.identity)) continue;
          this.events.onAgentAudio(value.data, value.sampleRate, value.channels);
        }
      } catch {
        // Stream cancelled on unsubscribe or teardown.
      } finally {
        this.readers.delete(sid);
      }
    })();
  }

  private stopReading(sid: string): void {
    const reader = this.readers.get(sid);
    this.readers.delete(sid);
    void reader?.cancel().catch(() => undefined);
  }

  /**
   * Leaves the room, at any stage: while joining it ends the join first (a publish in flight is
   * aborted by the disconnect), then frees what the join created. Calling it again returns the
   * same promise. rtc-node's native room stays alive for good (about 0.4 MB a call) while
   * anything still points at it at disconnect: registered RPC handlers, and remote participants
   * still in the room. So the handlers go first, and `removeRemote` (the server API) takes the
   * others out before we disconnect, waiting at most `removeWaitMs` for them to be gone.
   */
  leave(opts: LeaveOptions = {}): Promise<void> {
    this.leaving ??= this.release(opts);
    return this.leaving;
  }

  /** Sets `sip.callStatus` (as LiveKit SIP does at hang-up), waiting at most a moment for the server. */
  private async announceCallStatus(status: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.room.localParticipant
        ?.setAttributes({ [PHONE_ATTRIBUTES.callStatus]: status })
        .catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, CALL_STATUS_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  private async release(opts: LeaveOptions): Promise<void> {
    this.closed = true;
    this.uplink.close();
    for (const sid of [...this.readers.keys()]) this.stopReading(sid);
    for (const method of this.rpcMethods) this.room.localParticipant?.unregisterRpcMethod(method);
    this.rpcMethods.clear();
    if (this.joining && !this.joinSettled) {
      // A publish in flight ends at once on a disconnect (rtc-node aborts it), not at the SDK's timeout.
      if (this.room.isConnected) await this.room.disconnect().catch(() => undefined);
      await this.joining.catch(() => undefined);
    }
    if (opts.callStatus && this.room.isConnected) await this.announceCallStatus(opts.callStatus);
    if (opts.removeRemote && this.room.isConnected)
      await removeRemoteParticipants(this.room, opts.removeRemote, opts.removeWaitMs ?? 500);
    try {
      // Also when the server closed the room first, where disconnect() alone frees nothing.
      await releaseRoom(this.room);
    } finally {
      // The track's and the room's native handles are left to rtc-node, which frees them when their
      // JS objects are collected: disposing either by hand corrupted the native heap in the soak.
      await this.source?.close().catch(() => undefined);
    }
  }
}

/** The real phone line: a LiveKit participant (what the server wires into every call session). */
export const newPhoneParticipant: NewPhoneLine = (opts) => new PhoneParticipant(opts);

/** Agents join with kind AGENT; anything else publishing audio (a test stand-in, `lk room join`) counts too. */
export function isAgent(p: RemoteParticipant): boolean {
  return p.kind === ParticipantKind.AGENT;
}

const DTMF_CODES: Record<string, number> = { '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15 };

/** RFC 4733 event code of a DTMF digit, the numbering LiveKit SIP uses too. */
export function dtmfCode(digit: string): number {
  if (/^[0-9]$/.test(digit)) return Number(digit);
  const code = DTMF_CODES[digit.toUpperCase()];
  if (code === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return code;
}
