/** Creates a call the way the bridge does: room `call-<CallSid>` with metadata, then an explicit dispatch. */
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { randomBytes } from 'node:crypto';
import type { CallIdentity } from './_phone.js';

export interface LiveKitApi {
  httpUrl: string;
  apiKey: string;
  apiSecret: string;
}

export function newCall(overrides: Partial<CallIdentity> = {}): CallIdentity {
  return {
    callSid: `CA${randomBytes(16).toString('hex')}`,
    from: '+15551230001',
    to: '+15559870002',
    direction: 'inbound',
    ...overrides,
  };
}

export async function dispatchCall(
  lk: LiveKitApi,
  agentName: string,
  call: CallIdentity,
  extra: { task?: string; instructions?: string; voice?: string } = {},
): Promise<string> {
  const roomName = `call-${call.callSid}`;
  const meta = {
    direction: call.direction ?? 'inbound',
    from: call.from,
    to: call.to,
    callSid: call.callSid,
  };
  await new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret).createRoom({
    name: roomName,
    metadata: JSON.stringify(meta),
    emptyTimeout: 60,
  });
  await new AgentDispatchClient(lk.httpUrl, lk.apiKey, lk.apiSecret).createDispatch(roomName, agentName, {
    metadata: JSON.stringify({ ...meta, ...extra }),
  });
  return roomName;
}
