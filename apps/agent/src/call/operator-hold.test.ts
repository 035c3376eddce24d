import { EventEmitter } from 'node:events';
import { RoomEvent } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { OperatorHold, type HoldableSession } from './operator-hold.js';

function fakes() {
  const calls: string[] = [];
  const session: HoldableSession = {
    interrupt: () => calls.push('interrupt'),
    input: { setAudioEnabled: (on) => calls.push(`input ${on}`) },
    output: { setAudioEnabled: (on) => calls.push(`output ${on}`) },
  };
  const room = Object.assign(new EventEmitter(), { remoteParticipants: new Map() });
  return { calls, session, room };
}

describe('OperatorHold', () => {
  it('silences the agent while an operator who took over is in the room, and gives the call back', () => {
    const { calls, session, room } = fakes();
    const hold = new OperatorHold(room as never, session, { info: () => undefined });
    room.emit(RoomEvent.ParticipantConnected, {
      identity: 'operator-bob',
      attributes: { 'callbridge.operator': 'listen' },
    });
    expect(calls).toEqual([]); // a listener changes nothing
    room.emit(RoomEvent.ParticipantConnected, {
      identity: 'operator-alice',
      attributes: { 'callbridge.operator': 'takeover' },
    });
    expect(hold.active).toBe(true);
    expect(calls).toEqual(['interrupt', 'input false', 'output false']);
    room.emit(RoomEvent.ParticipantDisconnected, { identity: 'operator-bob' });
    expect(hold.active).toBe(true);
    room.emit(RoomEvent.ParticipantDisconnected, { identity: 'operator-alice' });
    expect(hold.active).toBe(false);
    expect(calls).toEqual(['interrupt', 'input false', 'output false', 'input true', 'output true']);
    hold.close();
    expect(room.listenerCount(RoomEvent.ParticipantConnected)).toBe(0);
  });

  it('holds at once for an operator already in the room when the agent starts', () => {
    const { calls, session, room } = fakes();
    room.remoteParticipants.set('operator-alice', {
      identity: 'operator-alice',
      attributes: { 'callbridge.operator': 'takeover' },
    });
    const hold = new OperatorHold(room as never, session, { info: () => undefined });
    expect(hold.active).toBe(true);
    expect(calls).toEqual(['interrupt', 'input false', 'output false']);
  });
});
