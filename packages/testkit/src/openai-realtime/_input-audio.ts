/**
 * A session's input audio: the uncommitted buffer on the audio clock, server VAD over it, the
 * whole input kept for content checks, and the wall-clock moments speech reached the model.
 */
import { SAMPLE_RATE, type TurnDetection } from './_protocol.js';
import { EnergyVad, vadSettingsFor, type VadEvent } from './_vad.js';

/** Input audio kept per session for content checks: 10 minutes at 24 kHz. */
const MAX_KEPT_INPUT_SAMPLES = SAMPLE_RATE * 600;
/** Input onsets: a 20 ms window at least this loud (dBFS) after {@link ONSET_QUIET_MS} of quieter ones. */
const ONSET_DBFS = -40;
const ONSET_QUIET_MS = 200;
const ONSET_WINDOW = (SAMPLE_RATE * 20) / 1000;

/** `input_audio_buffer.append`'s base64 as 16-bit PCM; undefined for an odd number of bytes. */
export function decodePcm16(base64: string): Int16Array | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length % 2 !== 0) return undefined;
  const pcm = new Int16Array(bytes.length / 2);
  for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
  return pcm;
}

export class InputAudio {
  /**
   * Wall-clock times (Date.now) at which input audio went from quiet to loud, taken when the
   * `input_audio_buffer.append` carrying the first loud window arrived: when speech reached the model.
   */
  readonly onsets: number[] = [];
  #vad: EnergyVad | undefined;
  /** Where the uncommitted audio starts on the audio clock (milliseconds of audio received). */
  #bufferStartMs = 0;
  #clockMs = 0;
  #kept: Int16Array[] = [];
  #keptSamples = 0;
  #quietMs = ONSET_QUIET_MS;
  /** The 20 ms window under way: appends of any size (10 ms ones too) make whole windows. */
  #windowFill = 0;
  #windowSum = 0;

  /** Server VAD as the session's turn detection says (none: the client commits). */
  configure(turnDetection: TurnDetection | null | undefined): void {
    if (!turnDetection) {
      this.#vad = undefined;
      return;
    }
    if (this.#vad) this.#vad.update(vadSettingsFor(turnDetection));
    else this.#vad = new EnergyVad(vadSettingsFor(turnDetection), SAMPLE_RATE);
  }

  /** Adds audio to the buffer; returns what server VAD detected in it. */
  append(pcm: Int16Array): VadEvent[] {
    if (this.#keptSamples + pcm.length <= MAX_KEPT_INPUT_SAMPLES) {
      this.#kept.push(pcm);
      this.#keptSamples += pcm.length;
    }
    this.#clockMs += (pcm.length * 1000) / SAMPLE_RATE;
    this.#noteOnset(pcm);
    return this.#vad?.push(pcm) ?? [];
  }

  /** Milliseconds of audio not yet committed. */
  get bufferedMs(): number {
    return this.#clockMs - this.#bufferStartMs;
  }

  /** The buffer became a user item: what comes next starts a new one. */
  commit(): void {
    this.#bufferStartMs = this.#clockMs;
  }

  /** `input_audio_buffer.clear`: the buffer and a turn in progress are forgotten. */
  clear(): void {
    this.commit();
    this.#vad?.reset();
  }

  /** All audio received on this connection so far (24 kHz PCM16). */
  all(): Int16Array {
    const out = new Int16Array(this.#keptSamples);
    let offset = 0;
    for (const part of this.#kept) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  #noteOnset(pcm: Int16Array): void {
    const at = Date.now();
    for (let i = 0; i < pcm.length; i++) {
      this.#windowSum += (pcm[i]! / 32768) ** 2;
      if (++this.#windowFill < ONSET_WINDOW) continue;
      const loud = 10 * Math.log10(this.#windowSum / ONSET_WINDOW + 1e-12) >= ONSET_DBFS;
      if (loud && this.#quietMs >= ONSET_QUIET_MS) this.onsets.push(at);
      this.#quietMs = loud ? 0 : this.#quietMs + 20;
      this.#windowFill = 0;
      this.#windowSum = 0;
    }
  }
}
