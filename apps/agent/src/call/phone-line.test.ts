import { EventEmitter } from 'node:events';
import { RoomEvent, type Room } from '@livekit/rtc-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PhoneLine } from './phone-line.js';

/** The parts of a Room PhoneLine reads for transfer states: participants and attribute events. */
class FakeRoom extends EventEmitter {
  readonly remoteParticipants = new Map<string, { identity: string; attributes: Record<string, string> }>();
  setPhoneAttributes(identity: string, attributes: Record<string, string>): void {
    const p = { identity, attributes };
    this.remoteParticipants.set(identity, p);
    this.emit(RoomEvent.ParticipantAttributesChanged, attributes, p);
  }
}

const dialing = JSON.stringify({ attempt: 1, state: 'dialing', to: '+15550001111' });
const failed = JSON.stringify({ attempt: 1, state: 'failed', to: '+15550001111', reason: 'busy' });

describe('PhoneLine.onTransfer', () => {
  it('reports each new callbridge.transfer state of the phone once, ignoring other participants', () => {
    const room = new FakeRoom();
    const line = new PhoneLine(room as unknown as Room, 'phone-1555', pino({ level: 'silent' }));
    const seen: string[] = [];
    const stop = line.onTransfer((s) => seen.push(`${s.state}${s.reason ? `:${s.reason}` : ''}`));
    room.setPhoneAttributes('someone-else', { 'callbridge.transfer': dialing });
    room.setPhoneAttributes('phone-1555', { 'callbridge.transfer': dialing });
    room.setPhoneAttributes('phone-1555', { 'callbridge.transfer': dialing, 'callbridge.streamSid': 'MZ2' });
    room.setPhoneAttributes('phone-1555', { 'callbridge.transfer': failed });
    stop();
    room.setPhoneAttributes('phone-1555', {
      'callbridge.transfer': dialing.replace('"attempt":1', '"attempt":2'),
    });
    expect(seen).toEqual(['dialing', 'failed:busy']);
  });

  it('a replacement agent starting while a transfer dials is told at once; an old failure is not repeated', () => {
    const room = new FakeRoom();
    room.setPhoneAttributes('phone-1555', { 'callbridge.transfer': dialing });
    const seen: string[] = [];
    new PhoneLine(room as unknown as Room, 'phone-1555', pino({ level: 'silent' })).onTransfer((s) =>
      seen.push(s.state),
    );
    expect(seen).toEqual(['dialing']);

    const later = new FakeRoom();
    later.setPhoneAttributes('phone-1555', { 'callbridge.transfer': failed });
    const none: string[] = [];
    new PhoneLine(later as unknown as Room, 'phone-1555', pino({ level: 'silent' })).onTransfer((s) =>
      none.push(s.state),
    );
    expect(none).toEqual([]);
  });
});
