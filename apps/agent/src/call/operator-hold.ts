import { OPERATOR_ATTRIBUTE, OPERATOR_MODES } from '@callbridge/room-contract';
import { RoomEvent, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import type { Logger } from '../ops/logger.js';

/** What the hold needs of the AgentSession. */
export interface HoldableSession {
  interrupt(): unknown;
  input: { setAudioEnabled(enabled: boolean): void };
  output: { setAudioEnabled(enabled: boolean): void };
}

/**
 * An operator may take the call over from the console: they join the room as a participant with
 * `callbridge.operator: takeover` (the bridge then plays only them to the caller). While one is in
 * the room the agent stops what it is saying, stops listening and speaking, and the watchers that
 * would make it talk (silence reprompts, keypad entries) hold back; when the last one leaves, the
 * agent has the call again.
 */
export class OperatorHold {
  private readonly operators = new Set<string>();
  private readonly onJoined = (p: RemoteParticipant) => this.note(p);
  private readonly onAttributes = (_changed: Record<string, string>, p: { identity: string }) =>
    this.note(p as RemoteParticipant);
  private readonly onLeft = (p: RemoteParticipant) => this.left(p.identity);

  constructor(
    private readonly room: Pick<Room, 'on' | 'off' | 'remoteParticipants'>,
    private readonly session: HoldableSession,
    private readonly log: Pick<Logger, 'info'>,
  ) {
    room.on(RoomEvent.ParticipantConnected, this.onJoined);
    room.on(RoomEvent.ParticipantAttributesChanged, this.onAttributes);
    room.on(RoomEvent.ParticipantDisconnected, this.onLeft);
    for (const p of room.remoteParticipants.values()) this.note(p);
  }

  /** An operator has the call: the agent must not speak. */
  get active(): boolean {
    return this.operators.size > 0;
  }

  close(): void {
    this.room.off(RoomEvent.ParticipantConnected, this.onJoined);
    this.room.off(RoomEvent.ParticipantAttributesChanged, this.onAttributes);
    this.room.off(RoomEvent.ParticipantDisconnected, this.onLeft);
  }

  private note(p: Pick<RemoteParticipant, 'identity' | 'attributes'>): void {
    if (p.attributes?.[OPERATOR_ATTRIBUTE] !== OPERATOR_MODES.takeover) return this.left(p.identity);
    if (this.operators.has(p.identity)) return;
    this.operators.add(p.identity);
    if (this.operators.size > 1) return;
    this.log.info({ operator: p.identity }, 'operator took the call over: agent silent');
    try {
      void Promise.resolve(this.session.interrupt()).catch(() => undefined);
    } catch {
      // nothing to interrupt
    }
    this.session.input.setAudioEnabled(false);
    this.session.output.setAudioEnabled(false);
  }

  private left(identity: string): void {
    if (!this.operators.delete(identity) || this.operators.size > 0) return;
    this.log.info({ operator: identity }, 'operator handed the call back: agent listening');
    this.session.input.setAudioEnabled(true);
    this.session.output.setAudioEnabled(true);
  }
}
