// Integration: the warm-up's last part starts rtc-node's native FFI and feeds it a capture source.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { CallRooms } from '../src/livekit/call-rooms.js';
import { warmCallPath } from '../src/warm-up.js';

/** The API calls the warm-up may make, recorded; any other would be a side effect. */
function recordingRooms(participants: () => Promise<string[]>) {
  const calls: string[] = [];
  const refuse = (name: string) => () => {
    calls.push(name);
    return Promise.reject(new Error(`the warm-up must not call ${name}`));
  };
  const rooms: CallRooms = {
    createCallRoom: refuse('createCallRoom'),
    dispatchAgent: refuse('dispatchAgent'),
    deleteRoom: refuse('deleteRoom'),
    removeParticipant: refuse('removeParticipant'),
    listRooms: refuse('listRooms'),
    agentStates: refuse('agentStates'),
    participantIdentities: (room) => {
      calls.push(`participantIdentities ${room.startsWith('warm-up-') ? 'warm-up-*' : room}`);
      return participants();
    },
    phoneToken: (room) => {
      calls.push(`phoneToken ${room.startsWith('warm-up-') ? 'warm-up-*' : room}`);
      return Promise.resolve('token');
    },
  };
  return { rooms, calls };
}

describe('warmCallPath', () => {
  // Every part must run to its end on its made-up input: a part that failed early (a sample the
  // schema refuses, say) would warm the error path and leave the call path cold.
  it.each(['48000', '8000'])(
    'runs every part of the call path to its end at %s Hz, reading only',
    async (rate) => {
      const config = loadConfig({ TWILIO_AUTH_TOKEN: 'token', PHONE_AUDIO_SAMPLE_RATE: rate });
      const { rooms, calls } = recordingRooms(() => Promise.resolve([]));
      const report = await warmCallPath(config, rooms);
      expect(report.failed).toEqual({});
      expect(report.warmed).toEqual(['webhook', 'stream_messages', 'audio', 'livekit_api', 'livekit_ffi']);
      expect(calls).toEqual(['phoneToken warm-up-*', 'participantIdentities warm-up-*']);
    },
  );

  it('does not hold the start for a LiveKit that does not answer, and says so', async () => {
    const config = loadConfig({ TWILIO_AUTH_TOKEN: 'token' });
    const { rooms } = recordingRooms(() => new Promise<string[]>(() => undefined));
    const report = await warmCallPath(config, rooms, { apiDeadlineMs: 50 });
    expect(report.failed).toEqual({ livekit_api: 'LiveKit did not answer within 50 ms' });
    expect(report.warmed).toEqual(['webhook', 'stream_messages', 'audio', 'livekit_ffi']);
  });
});
