import {
  AudioSource,
  DisconnectReason,
  LocalAudioTrack,
  type RemoteParticipant,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import {
  AGENT_STATE_ATTRIBUTE,
  CALL_AUDIO_MAX_BITRATE_BPS,
  isAgentSessionUp,
  RPC_METHODS,
} from '@callbridge/room-contract';
import {
  type LeaveOptions,
  type PhoneLineEvents,
  type NewPhoneLine,
  type PhoneLine,
  type PhoneLineOptions,
  type PhoneRpcCall,
} from './phone-line.js';
import { AgentAudioReaders } from './agent-audio-readers.js';
import { AgentReachability, isAgent } from './agent-reachability.js';
import { dtmfCode } from './dtmf-code.js';
import { JOIN_TIMEOUT_MS, joinWithin } from './join-deadline.js';
import { leavePhoneRoom } from './phone-leave.js';
import { TakeoverGate } from './takeover-gate.js';
import { CallerUplink, DIRECT_CAPTURE_QUEUE_MS } from './caller-uplink.js';
import { PhoneRpcMethods } from './phone-rpc.js';
import { readRoomText } from './room-text.js';

export { JOIN_TIMEOUT_MS } from './join-deadline.js';

/** The phone line as a LiveKit participant: one microphone out, the agent's audio in. */
export class PhoneParticipant implements PhoneLine {
  readonly room = new Room();
  private source?: AudioSource;
  /** The caller's audio on its way into the track (held until an agent listens). */
  private readonly uplink: CallerUplink;
  private trackSubscribed = false;
  private readonly agentStates = new Map<string, string>();
  private closed = false;
  /** The agents' audio, read track by track on its way to the call's session. */
  private readonly readers: AgentAudioReaders;
  private readonly rpc = new PhoneRpcMethods(this.room);
  /** Agents still in the room whose connection LiveKit reports lost. */
  private readonly reachability = new AgentReachability(() => this.events);
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
    this.readers = new AgentAudioReaders({
      sampleRate: opts.sampleRate,
      passes: (identity) => this.takeover.passes(identity),
      onAudio: () => this.events.onAgentAudio,
    });
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
    for (const p of this.room.remoteParticipants.values()) subscribeAudioOf(p);
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
    try {
      await joinWithin(this.joining, timeoutMs);
    } catch (err) {
      await this.leave().catch(() => undefined);
      throw err;
    } finally {
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
      .on(RoomEvent.TrackSubscribed, (track, _pub, participant) => this.readers.read(track, participant))
      .on(RoomEvent.TrackUnsubscribed, (track) => this.readers.stop(track.sid ?? ''))
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
        this.reachability.left(p);
      })
      .on(RoomEvent.ConnectionQualityChanged, (quality, p) => {
        if (p === room.localParticipant || !isAgent(p as RemoteParticipant)) return;
        this.reachability.qualityChanged(quality, p.identity);
      })
      .on(RoomEvent.Reconnecting, () => this.events.onReconnecting())
      .on(RoomEvent.Reconnected, () => {
        // A full reconnect (the room's LiveKit node died and another took it over) rebuilds the
        // room from a join: tracks already there are not announced, so a line that joined early
        // subscribes to them by hand, or the caller would never hear the agent again.
        if (this.opts.deferAgentAudio && this.hearing) this.subscribeAudio();
        this.events.onReconnected();
      })
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
    // Joined early: an agent that sees the phone may call it before the call's session is here (or
    // before its microphone is published): its methods answer from now on, once the session is.
    if (opts.deferAgentAudio) for (const method of Object.values(RPC_METHODS)) this.rpc.answer(method);
    // No capture queue: each 10 ms of the caller goes straight to the encoder (see CallerUplink).
    this.source = new AudioSource(opts.sampleRate, 1, DIRECT_CAPTURE_QUEUE_MS);
    this.uplink.attach(this.source);
    const track = LocalAudioTrack.createAudioTrack('phone', this.source);
    const publish = new TrackPublishOptions({
      // LiveKit Agents only listen to microphone tracks.
      source: TrackSource.SOURCE_MICROPHONE,
      // Room to go as G.711 on a LiveKit server limited to it (the call's audio then skips Opus).
      audioEncoding: { maxBitrate: BigInt(CALL_AUDIO_MAX_BITRATE_BPS) },
    });
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
    // Joined early and adopted: a participant that arrives with its tracks already published (as
    // after a reconnect) announces no TrackPublished.
    if (this.opts.deferAgentAudio && this.hearing) subscribeAudioOf(p);
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
    return this.reachability.reachableAgents(this.room.remoteParticipants.values());
  }

  /** Agents still in the room whose connection LiveKit reports lost. */
  unreachableAgents(): string[] {
    return this.reachability.unreachableAgents();
  }

  registerRpc(method: string, handler: (call: PhoneRpcCall) => Promise<string>): void {
    this.rpc.register(method, handler);
  }

  async publishDtmf(digit: string): Promise<void> {
    await this.room.localParticipant?.publishDtmf(dtmfCode(digit), digit);
  }

  async setAttributes(attributes: Record<string, string>): Promise<void> {
    await this.room.localParticipant?.setAttributes(attributes);
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

  private async release(opts: LeaveOptions): Promise<void> {
    this.closed = true;
    this.uplink.close();
    this.readers.close();
    this.rpc.close();
    const joinInFlight = this.joining && !this.joinSettled ? this.joining : undefined;
    await leavePhoneRoom(this.room, joinInFlight, () => this.source, opts);
  }
}

/** Subscribes the participant's audio tracks not yet subscribed (a line that subscribes by hand). */
function subscribeAudioOf(p: RemoteParticipant): void {
  for (const pub of p.trackPublications.values())
    if (pub.kind === TrackKind.KIND_AUDIO && !pub.subscribed) pub.setSubscribed(true);
}

/** The real phone line: a LiveKit participant (what the server wires into every call session). */
export const newPhoneParticipant: NewPhoneLine = (opts) => new PhoneParticipant(opts);
