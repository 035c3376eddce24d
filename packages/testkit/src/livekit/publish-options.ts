import { TrackPublishOptions, TrackSource } from '@livekit/rtc-node';

/**
 * A microphone track allowed 64 kbps, what G.711 (PCMU) needs: on a LiveKit server limited to
 * G.711 (`audioCodecs: ['audio/pcmu']`) libwebrtc refuses to send a track capped lower (LiveKit's
 * SDKs cap audio at 48 kbps unless told otherwise) and the track silently carries nothing.
 */
export function microphonePublishOptions(): TrackPublishOptions {
  return new TrackPublishOptions({
    source: TrackSource.SOURCE_MICROPHONE,
    audioEncoding: { maxBitrate: 64_000n },
  });
}
