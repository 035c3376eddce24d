import { RpcError, type Room } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { PhoneRpcRefusal } from './phone-line.js';
import { PhoneRpcMethods } from './phone-rpc.js';

type Invocation = { callerIdentity: string; payload: string };

/** A room whose local participant keeps the RPC handlers registered on it, as rtc-node's does. */
function fakeRoom() {
  const registered = new Map<string, (data: Invocation) => Promise<string>>();
  const room = {
    localParticipant: {
      registerRpcMethod: (method: string, handler: (data: Invocation) => Promise<string>) =>
        void registered.set(method, handler),
      unregisterRpcMethod: (method: string) => void registered.delete(method),
    },
  } as unknown as Room;
  const call = (method: string, payload = '{}') => {
    const handler = registered.get(method);
    if (!handler) throw new Error(`${method} is not registered in the room`);
    return handler({ callerIdentity: 'agent-1', payload });
  };
  return { room, registered, call };
}

describe('PhoneRpcMethods', () => {
  it("answers a method before its handler exists and runs the handler once the call's session registers it", async () => {
    const { room, call } = fakeRoom();
    const rpc = new PhoneRpcMethods(room);
    rpc.answer('hangup');
    const reply = call('hangup', '{"reason":"bye"}');
    rpc.register('hangup', async ({ payload }) => `handled ${payload}`);
    await expect(reply).resolves.toBe('handled {"reason":"bye"}');
  });

  it("turns the contract's refusals into RPC errors with their code", async () => {
    const { room, call } = fakeRoom();
    const rpc = new PhoneRpcMethods(room);
    rpc.register('transfer', async () => {
      throw new PhoneRpcRefusal(1403, 'not on the allow-list');
    });
    const err = await call('transfer').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 1403, message: 'not on the allow-list' });
  });

  it('takes every method off the room on close, and a call still waiting is told the method is unsupported', async () => {
    const { room, registered, call } = fakeRoom();
    const rpc = new PhoneRpcMethods(room);
    rpc.answer('hangup');
    rpc.register('transfer', async () => 'ok');
    const waiting = call('hangup').catch((e: unknown) => e);
    rpc.close();
    expect([...registered.keys()]).toEqual([]);
    expect(await waiting).toMatchObject({ code: RpcError.ErrorCode.UNSUPPORTED_METHOD });
    // A closed line answers nothing new.
    rpc.answer('report_result');
    expect(registered.size).toBe(0);
  });
});
