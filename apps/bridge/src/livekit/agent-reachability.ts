import { ConnectionQuality, ParticipantKind, type RemoteParticipant } from '@livekit/rtc-node';
import type { PhoneLineEvents } from './phone-line.js';

/** Agents join with kind AGENT; anything else publishing audio (a test stand-in, `lk room join`) counts too. */
export function isAgent(p: RemoteParticipant): boolean {
  return p.kind === ParticipantKind.AGENT;
}

/**
 * Which agents in the phone's room LiveKit can still reach, reported to the call's session as they
 * are lost, come back, or leave.
 */
export class AgentReachability {
  /** Agents still in the room whose connection LiveKit reports lost. */
  private readonly unreachable = new Set<string>();

  /** `events`: read at each report (the line's events change when a session adopts it). */
  constructor(private readonly events: () => PhoneLineEvents) {}

  /** LiveKit's connection quality of a remote agent changed. */
  qualityChanged(quality: ConnectionQuality, agent: string): void {
    if (quality === ConnectionQuality.QUALITY_LOST) {
      if (this.unreachable.has(agent)) return;
      this.unreachable.add(agent);
      this.events().onAgentUnreachable(agent);
    } else if (this.unreachable.delete(agent)) {
      this.events().onAgentReachable(agent);
    }
  }

  /** A participant left the room. */
  left(p: RemoteParticipant): void {
    // An unreachable agent was already reported gone; leaving now changes nothing for the call.
    if (isAgent(p) && !this.unreachable.delete(p.identity)) this.events().onAgentLeft(p.identity);
  }

  /** Agents (participants of kind AGENT) among `participants` whose connection is not lost. */
  reachableAgents(participants: Iterable<RemoteParticipant>): number {
    let n = 0;
    for (const p of participants) if (isAgent(p) && !this.unreachable.has(p.identity)) n++;
    return n;
  }

  /** Agents still in the room whose connection LiveKit reports lost. */
  unreachableAgents(): string[] {
    return [...this.unreachable];
  }
}
