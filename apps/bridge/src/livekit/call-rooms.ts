import { AGENT_STATE_ATTRIBUTE, type RoomMetadata } from '@callbridge/room-contract';
import { AccessToken, AgentDispatchClient, RoomServiceClient, TrackSource } from 'livekit-server-sdk';

/** What the call setup writes into the room and the agent dispatch, so agents know who is calling. */
export type CallContext = RoomMetadata;

/**
 * The bridge's narrow view of LiveKit's server API: one room per call, one agent dispatched into it,
 * one token for the phone participant. Tests can swap it for a fake; integration tests use the real one.
 */
export interface CallRooms {
  createCallRoom(room: string, context: RoomMetadata): Promise<void>;
  /** `metadata` is the contract's DispatchMetadata; callers build it typed (`satisfies DispatchMetadata`). */
  dispatchAgent(room: string, agentName: string, metadata: Record<string, unknown>): Promise<void>;
  deleteRoom(room: string): Promise<void>;
  removeParticipant(room: string, identity: string): Promise<void>;
  listRooms(): Promise<string[]>;
  /** The identities of the participants in the room (none when it does not exist). */
  participantIdentities(room: string): Promise<string[]>;
  /** The `lk.agent.state` attribute of each participant in the room (undefined for non-agents). */
  agentStates(room: string): Promise<(string | undefined)[]>;
  phoneToken(room: string, identity: string, attributes: Record<string, string>): Promise<string>;
}

export function roomNameFor(callSid: string): string {
  return `call-${callSid}`;
}

export function createCallRooms(opts: { url: string; apiKey: string; apiSecret: string }): CallRooms {
  const host = opts.url.replace(/^ws/, 'http');
  const rooms = new RoomServiceClient(host, opts.apiKey, opts.apiSecret);
  const dispatch = new AgentDispatchClient(host, opts.apiKey, opts.apiSecret);
  return {
    async createCallRoom(room, context) {
      const metadata: RoomMetadata = {
        callSid: context.callSid,
        direction: context.direction,
        from: context.from,
        to: context.to,
      };
      await rooms.createRoom({
        name: room,
        metadata: JSON.stringify(metadata),
        // The bridge deletes the room at hang-up; these only catch rooms nobody ever joined.
        emptyTimeout: 60,
        departureTimeout: 10,
      });
    },
    async dispatchAgent(room, agentName, metadata) {
      await dispatch.createDispatch(room, agentName, { metadata: JSON.stringify(metadata) });
    },
    async deleteRoom(room) {
      await rooms.deleteRoom(room);
    },
    async removeParticipant(room, identity) {
      await rooms.removeParticipant(room, identity);
    },
    async listRooms() {
      return (await rooms.listRooms()).map((r) => r.name);
    },
    async participantIdentities(room) {
      if ((await rooms.listRooms([room])).length === 0) return [];
      return (await rooms.listParticipants(room)).map((p) => p.identity);
    },
    async agentStates(room) {
      return (await rooms.listParticipants(room)).map((p) => p.attributes[AGENT_STATE_ATTRIBUTE]);
    },
    async phoneToken(room, identity, attributes) {
      // One room, a short life (only the join uses it; the SDK refreshes its own session), and only
      // what a phone needs: publish its microphone, hear the room, send DTMF and RPC over data.
      const at = new AccessToken(opts.apiKey, opts.apiSecret, { identity, ttl: '5m', attributes });
      // Kind SIP, as LiveKit SIP's own participants: agents that wait for a SIP participant find it.
      at.kind = 'sip';
      at.addGrant({
        room,
        roomJoin: true,
        canPublish: true,
        canPublishSources: [TrackSource.MICROPHONE],
        canSubscribe: true,
        canPublishData: true,
        canUpdateOwnMetadata: true,
      });
      return at.toJwt();
    },
  };
}
