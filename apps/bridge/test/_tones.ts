import { tone } from '@callbridge/testkit/audio-fixtures';
import type { AudioSource } from '@livekit/rtc-node';
import { speak } from './_stand-in.js';

/** Power of one frequency in 8 kHz PCM (Goertzel), normalised by length. */
export function powerAt(pcm: Int16Array, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  for (const x of pcm) {
    const s0 = x / 32768 + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / pcm.length;
}

/**
 * How much a pure tone at `hz` stands out of its neighbourhood (power at `hz` over the mean power
 * 20 Hz either side): thousands for a steady tone, about 1 for speech or silence.
 */
export function toneProminence(pcm: Int16Array, hz: number): number {
  const around = (powerAt(pcm, hz - 20) + powerAt(pcm, hz + 20)) / 2;
  return powerAt(pcm, hz) / Math.max(around, 1e-12);
}

/** The last `ms` of what the caller heard (8 kHz), or undefined while there is less. */
export function lastHeard(call: { heardPcm(): Int16Array }, ms: number): Int16Array | undefined {
  const pcm = call.heardPcm();
  const n = (ms / 1000) * 8000;
  return pcm.length < n ? undefined : pcm.subarray(pcm.length - n);
}

/** Plays a tone in a loop into `source` until the returned stop() is called (idempotent). */
export function keepPlaying(source: AudioSource, hz: number): () => Promise<void> {
  const chunk = tone({ frequency: hz, sampleRate: 48_000, durationMs: 200, dbfs: -12 });
  let on = true;
  const done = (async () => {
    while (on) await speak(source, chunk);
  })();
  return async () => {
    on = false;
    await done;
  };
}
