import { TOOL_CALLS_TOPIC, toolCallMessageSchema, TRANSCRIPTION_TOPIC } from '@callbridge/room-contract';
import type { Room } from '@livekit/rtc-node';
import type { Logger } from '../logger.js';
import type { PhoneLineEvents } from './phone-line.js';

/** Longest transcript line or tool call message kept; anything longer is cut, never refused. */
const MAX_TEXT = 20_000;

/**
 * Reads the room's text streams as the phone participant sees them and reports them as typed
 * values: finished transcript segments of both sides and the agent's tool calls. Registered before
 * the room connects, so early streams are not missed. Only what the room delivers to the phone is
 * reported.
 */
export function readRoomText(
  room: Room,
  events: Pick<PhoneLineEvents, 'onTranscript' | 'onToolCall'>,
  log: Logger,
): void {
  const { onTranscript, onToolCall } = events;
  if (onTranscript)
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
          onTranscript({
            speaker: ours ? 'caller' : 'agent',
            identity: ours ? (local?.identity ?? 'phone') : sender.identity,
            text,
            at: openedAt,
          });
        })
        .catch((err: Error) => log.warn({ err: err.message }, 'transcription stream unreadable'));
    });
  if (onToolCall)
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
          onToolCall({
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
