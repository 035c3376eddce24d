import { CALL_AUDIO_MAX_BITRATE_BPS } from '@callbridge/room-contract';
import { TrackPublishOptions, TrackSource } from '@livekit/rtc-node';

/**
 * How the agent's session publishes into the call room: LiveKit Agents' defaults (a microphone
 * track, transcriptions on), with the agent's track allowed the bitrate G.711 needs, so a LiveKit
 * server limited to G.711 carries the agent's voice too (see `CALL_AUDIO_MAX_BITRATE_BPS`).
 */
export function roomOutputOptions() {
  return {
    transcriptionEnabled: true,
    audioPublishOptions: new TrackPublishOptions({
      source: TrackSource.SOURCE_MICROPHONE,
      audioEncoding: { maxBitrate: BigInt(CALL_AUDIO_MAX_BITRATE_BPS) },
    }),
  };
}
