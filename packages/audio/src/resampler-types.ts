/**
 * The streaming resampler contract every engine implements. One instance per direction of one
 * call: it carries filter state from one chunk to the next, so a signal cut into 20 ms frames
 * comes out the same as the whole signal resampled in one go.
 */
export interface StreamingResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  /** Which engine does the work, e.g. "polyphase"; shown in `describe()` chains and benchmarks. */
  readonly engine: string;
  /**
   * Resamples the next chunk of mono PCM16 and returns every output sample that is ready.
   * The returned array may be a view of a buffer the resampler reuses: it is valid until the
   * next call on this resampler. Copy it (`.slice()`) to keep it.
   */
  process(input: Int16Array): Int16Array;
  /**
   * Drains what the filter still holds (its delay's worth of the last input), then resets so the
   * instance can start a new stream. Same reuse rule as `process`.
   */
  flush(): Int16Array;
  /** Forgets all history (e.g. after a barge-in clears queued audio) without draining it. */
  reset(): void;
  /** Releases native resources, if the engine holds any; the instance is unusable afterwards. */
  close(): void;
}
