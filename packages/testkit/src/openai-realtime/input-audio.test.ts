import { describe, expect, it } from 'vitest';
import { InputAudio } from './_input-audio.js';
import { SAMPLE_RATE } from './_protocol.js';

const ms = (n: number) => Math.round((SAMPLE_RATE * n) / 1000);

function tone(durationMs: number): Int16Array {
  const pcm = new Int16Array(ms(durationMs));
  for (let i = 0; i < pcm.length; i++)
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / SAMPLE_RATE));
  return pcm;
}

/** Appends `pcm` in pieces of `pieceMs`, as a client streaming it would. */
function appendIn(input: InputAudio, pcm: Int16Array, pieceMs: number): void {
  for (let off = 0; off < pcm.length; off += ms(pieceMs)) input.append(pcm.subarray(off, off + ms(pieceMs)));
}

describe('InputAudio onsets', () => {
  for (const pieceMs of [10, 20, 30, 100]) {
    it(`notes speech reaching the model once per utterance with ${pieceMs} ms appends`, () => {
      const input = new InputAudio();
      appendIn(input, new Int16Array(ms(400)), pieceMs);
      appendIn(input, tone(300), pieceMs);
      appendIn(input, new Int16Array(ms(400)), pieceMs);
      appendIn(input, tone(300), pieceMs);
      expect(input.onsets).toHaveLength(2);
    });
  }
});
