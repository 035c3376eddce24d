/** Whether a call's audio kept flowing, read from the audio itself rather than from clocks. */
import { rmsDbfs } from '@callbridge/testkit/audio-fixtures';

/**
 * Splits pcm[from, to) into `parts` equal stretches and returns, for each, the share of its
 * `frameSamples`-long frames louder than `dbfs`. With one continuous source (a tone), a stall
 * shows as quiet frames: an underrun at the caller, or concealment fading out in the room.
 */
export function loudShareByPart(
  pcm: Int16Array,
  frameSamples: number,
  from: number,
  to: number,
  parts = 4,
  dbfs = -40,
): number[] {
  const frames = Math.floor((to - from) / frameSamples);
  const perPart = Math.floor(frames / parts);
  if (perPart === 0) throw new Error(`too little audio to split in ${parts}: ${frames} frames`);
  const shares: number[] = [];
  for (let p = 0; p < parts; p++) {
    let loud = 0;
    for (let f = p * perPart; f < (p + 1) * perPart; f++) {
      const at = from + f * frameSamples;
      if (rmsDbfs(pcm, at, at + frameSamples) > dbfs) loud++;
    }
    shares.push(Math.round((loud / perPart) * 100) / 100);
  }
  return shares;
}
