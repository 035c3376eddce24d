/**
 * The bitrate every audio track in a call room may use: 64 kbps, what G.711 (PCMU) needs.
 *
 * A LiveKit server limited to G.711 (`room.enabled_codecs: [{mime: audio/pcmu}]`, for a
 * phone-only deployment: see docs/performance.md) can carry a track only if its publisher allows
 * 64 kbps: libwebrtc refuses to send a codec whose fixed rate is over the track's cap, and LiveKit's
 * SDKs cap audio at 48 kbps unless told otherwise. It refuses silently: the track is published and
 * carries nothing. Under Opus (the default) the cap only lets Opus spend up to 64 kbps.
 */
export const CALL_AUDIO_MAX_BITRATE_BPS = 64_000;
