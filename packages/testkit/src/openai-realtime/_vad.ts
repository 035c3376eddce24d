/**
 * Energy-based voice activity detection over the session's input audio, honouring the
 * turn-detection settings a client sends (`threshold`, `prefix_padding_ms`,
 * `silence_duration_ms`). It cannot understand speech, so `semantic_vad` is approximated by a
 * silence duration chosen from its `eagerness`.
 *
 * Times are on the audio clock (milliseconds of audio received), as in the real API's
 * `audio_start_ms`/`audio_end_ms`, so results do not depend on network or CPU timing.
 */
import type { TurnDetection } from './_protocol.js';

const WINDOW_MS = 20;
/** Voiced windows in a row before speech counts as started: ignores clicks and single pops. */
const MIN_VOICED_WINDOWS = 2;

/** semantic_vad waits for the end of a thought; silence length stands in for that judgement. */
const SEMANTIC_SILENCE_MS = { low: 1200, medium: 700, auto: 700, high: 350 } as const;

export interface VadSettings {
  /** RMS level (dBFS) a 20 ms window must reach to count as voiced. */
  thresholdDbfs: number;
  prefixPaddingMs: number;
  silenceDurationMs: number;
}

/**
 * Maps the API's 0..1 `threshold` (higher = needs louder audio) onto a level:
 * 0 → -70 dBFS, 0.5 → -40 dBFS (quiet speech still counts), 1 → -10 dBFS.
 */
export function vadSettingsFor(turnDetection: TurnDetection): VadSettings {
  if (turnDetection.type === 'semantic_vad') {
    return {
      thresholdDbfs: -40,
      prefixPaddingMs: 300,
      silenceDurationMs: SEMANTIC_SILENCE_MS[turnDetection.eagerness ?? 'auto'],
    };
  }
  return {
    thresholdDbfs: -70 + 60 * (turnDetection.threshold ?? 0.5),
    prefixPaddingMs: turnDetection.prefix_padding_ms ?? 300,
    silenceDurationMs: turnDetection.silence_duration_ms ?? 200,
  };
}

export type VadEvent =
  { type: 'speech_started'; audioStartMs: number } | { type: 'speech_stopped'; audioEndMs: number };

export class EnergyVad {
  readonly #windowSamples: number;
  readonly #sampleRate: number;
  #settings: VadSettings;
  #pending: Int16Array = new Int16Array(0);
  #windowsSeen = 0;
  #voicedRun = 0;
  #speaking = false;
  #lastVoicedEndMs = 0;

  constructor(settings: VadSettings, sampleRate: number) {
    this.#settings = settings;
    this.#sampleRate = sampleRate;
    this.#windowSamples = Math.round((sampleRate * WINDOW_MS) / 1000);
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** New settings apply from the next window; a turn in progress keeps going. */
  update(settings: VadSettings): void {
    this.#settings = settings;
  }

  /** Feeds audio; returns what it detected, in order, with audio-clock times. */
  push(samples: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    const all = new Int16Array(this.#pending.length + samples.length);
    all.set(this.#pending);
    all.set(samples, this.#pending.length);
    let offset = 0;
    for (; offset + this.#windowSamples <= all.length; offset += this.#windowSamples) {
      const event = this.#window(all.subarray(offset, offset + this.#windowSamples));
      if (event) events.push(event);
    }
    this.#pending = all.slice(offset);
    return events;
  }

  /** Forgets a turn in progress (after `input_audio_buffer.clear`). */
  reset(): void {
    this.#speaking = false;
    this.#voicedRun = 0;
  }

  #window(window: Int16Array): VadEvent | undefined {
    const startMs = (this.#windowsSeen * this.#windowSamples * 1000) / this.#sampleRate;
    this.#windowsSeen++;
    const endMs = startMs + WINDOW_MS;
    const voiced = levelDbfs(window) >= this.#settings.thresholdDbfs;
    if (!this.#speaking) {
      this.#voicedRun = voiced ? this.#voicedRun + 1 : 0;
      if (this.#voicedRun < MIN_VOICED_WINDOWS) return undefined;
      this.#speaking = true;
      this.#lastVoicedEndMs = endMs;
      const firstVoicedMs = endMs - this.#voicedRun * WINDOW_MS;
      return {
        type: 'speech_started',
        audioStartMs: Math.max(0, firstVoicedMs - this.#settings.prefixPaddingMs),
      };
    }
    if (voiced) {
      this.#lastVoicedEndMs = endMs;
      return undefined;
    }
    if (endMs - this.#lastVoicedEndMs < this.#settings.silenceDurationMs) return undefined;
    this.#speaking = false;
    this.#voicedRun = 0;
    return { type: 'speech_stopped', audioEndMs: endMs };
  }
}

function levelDbfs(window: Int16Array): number {
  let sum = 0;
  for (const s of window) sum += (s / 32768) ** 2;
  return 10 * Math.log10(sum / window.length + 1e-12);
}
