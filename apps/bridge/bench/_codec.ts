/** The room codecs the benchmarks can limit livekit-server to (--codec). */
export type BenchCodec = 'opus' | 'pcmu';

/**
 * The bridge's settings for rooms of that codec, as a deployment of it sets them (.env.example):
 * in G.711 rooms the phone exchanges 8 kHz with LiveKit, so no rate is converted anywhere.
 */
export function bridgeEnvForCodec(codec: BenchCodec): Record<string, string> {
  return codec === 'pcmu' ? { PHONE_AUDIO_SAMPLE_RATE: '8000' } : {};
}

/** The phone's rate with these settings (the bridge's default, 48000, unless they set one). */
export function phoneAudioSampleRate(env: Record<string, string>): number {
  return Number(env.PHONE_AUDIO_SAMPLE_RATE ?? 48_000);
}
