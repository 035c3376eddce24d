// An agent written only against LiveKit SIP's conventions works with the bridge's phone participant
// unchanged: it finds the caller as the room's participant of kind SIP, reads the `sip.*`
// attributes, sees `sip.callStatus` turn to `hangup` when the caller hangs up, and hangs up itself
// by deleting the room through the server API.
import { connectParticipant, type ConnectedParticipant } from '@callbridge/testkit/livekit';
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { ParticipantKind, RoomEvent, type RemoteParticipant } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { bridgeOnLiveKit, metricValue, waitFor } from './_harness.js';

const CALLER = '+15551230001';
const OUR_NUMBER = '+15559870000';

const stack = bridgeOnLiveKit();

/** What a LiveKit SIP agent does first: join the call's room and wait for the SIP participant. */
async function sipStyleAgent(
  call: SimulatedCall,
): Promise<{ agent: ConnectedParticipant; caller: RemoteParticipant }> {
  const room = `call-${call.callSid}`;
  await waitFor('call room', async () => (await stack.rooms.listRooms([room])).length > 0);
  const agent = await connectParticipant(stack.lk, room, `sip-style-agent-${call.callSid.slice(-6)}`);
  const caller = await waitFor('a participant of kind SIP', () =>
    [...agent.room.remoteParticipants.values()].find((p) => p.kind === ParticipantKind.SIP),
  );
  // The caller joins while the call rings (sip.callStatus `ringing`, as on LiveKit SIP) and the
  // call is up once it is `active` with its microphone published.
  await waitFor('the caller publishing audio', () => caller.trackPublications.size > 0);
  await waitFor('the call active', () =>
    caller.attributes['sip.callStatus'] === 'active' ? true : undefined,
  );
  return { agent, caller };
}

describe('an agent written for LiveKit SIP', () => {
  it('finds the caller as the participant of kind SIP, with the sip.* attributes of an active call', async () => {
    const call = await stack.tb.placeCall({ from: CALLER, to: OUR_NUMBER });
    const { agent, caller } = await sipStyleAgent(call);
    try {
      expect(caller.attributes).toMatchObject({
        'sip.phoneNumber': CALLER,
        'sip.trunkPhoneNumber': OUR_NUMBER,
        'sip.callID': call.callSid,
        'sip.callStatus': 'active',
        'sip.callDirection': 'inbound',
      });
    } finally {
      await agent.disconnect();
      await call.hangup();
    }
  });

  it('sees sip.callStatus turn to hangup when the caller hangs up', async () => {
    const call = await stack.tb.placeCall({ from: CALLER, to: OUR_NUMBER });
    const { agent, caller } = await sipStyleAgent(call);
    const statuses: string[] = [];
    agent.room.on(RoomEvent.ParticipantAttributesChanged, (changed, p) => {
      const status = changed['sip.callStatus'];
      if (p.identity === caller.identity && status) statuses.push(status);
    });
    try {
      await call.hangup();
      await waitFor('sip.callStatus hangup at the agent', () => statuses.includes('hangup'));
      expect(statuses).toEqual(['hangup']);
    } finally {
      await agent.disconnect();
    }
  });

  it('hangs up by deleting the room: the caller is hung up on without an apology, as a normal ending', async () => {
    const call = await stack.tb.placeCall({ from: CALLER, to: OUR_NUMBER });
    const { agent } = await sipStyleAgent(call);
    const before = await metricValue(stack.tb.bridge, 'callbridge_calls_total', { outcome: 'room_deleted' });
    try {
      await stack.rooms.deleteRoom(`call-${call.callSid}`);
      const end = await call.ended;
      expect(end.status).toBe('completed');
      expect(call.said).toEqual([]);
      await waitFor('call released', () => stack.tb.bridge.registry.get(call.callSid) === undefined);
      expect(await metricValue(stack.tb.bridge, 'callbridge_calls_total', { outcome: 'room_deleted' })).toBe(
        before + 1,
      );
    } finally {
      await agent.disconnect();
    }
  });
});
