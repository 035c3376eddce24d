import { TOOL_CALLS_TOPIC, toolCallMessageSchema, TRANSCRIPTION_TOPIC } from '@callbridge/room-contract';
import type { Room } from '@livekit/rtc-node';
import type { Logger } from '../logger.js';
import type { CallRecorder } from './call-recorder.js';

/** Longest transcript line or tool call message kept; anything longer is cut, never refused. */
const MAX_TEXT = 20_000;

/**
 * Feeds the record from the room, as the phone participant sees it: finished transcript segments
 * of both sides and the agent's tool calls. Only what the room delivers to the phone is recorded.
 */
export function recordFromRoom(room: Room, callSid: string, recorder: CallRecorder, log: Logger): void {
  room.registerTextStreamHandler(TRANSCRIPTION_TOPIC, (reader, sender) => {
    const openedAt = Date.now();
    const attrs = reader.info.attributes ?? {};
    void reader
      .readAll()
      .then((raw) => {
        const text = raw.trim().slice(0, MAX_TEXT);
        if (!text) return;
        const trackId = attrs['lk.transcribed_track_id'];
        const local = room.localParticipant;
        const ours = local ? [...local.trackPublications.values()].some((p) => p.sid === trackId) : false;
        // The caller's side arrives as interim streams, then one marked final; the agent's as one
        // stream per spoken segment.
        if (ours && attrs['lk.transcription_final'] !== 'true') return;
        return recorder.transcript(callSid, {
          speaker: ours ? 'caller' : 'agent',
          identity: ours ? (local?.identity ?? 'phone') : sender.identity,
          text,
          at: openedAt,
        });
      })
      .catch((err: Error) => log.warn({ err: err.message }, 'transcription stream unreadable'));
  });
  room.registerTextStreamHandler(TOOL_CALLS_TOPIC, (reader, sender) => {
    void reader
      .readAll()
      .then((raw) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.slice(0, MAX_TEXT * 5));
        } catch {
          parsed = undefined;
        }
        const msg = toolCallMessageSchema.safeParse(parsed);
        if (!msg.success) {
          log.warn(
            { from: sender.identity, issue: msg.error?.issues[0]?.message },
            'tool call message refused',
          );
          return;
        }
        const m = msg.data;
        return recorder.toolCall(callSid, {
          name: m.name,
          toolCallId: m.toolCallId ?? null,
          arguments: m.arguments ?? null,
          result: m.result ?? null,
          error: m.error ?? null,
          startedAt: m.startedAt,
          endedAt: m.endedAt,
        });
      })
      .catch((err: Error) => log.warn({ err: err.message }, 'tool call stream unreadable'));
  });
}
