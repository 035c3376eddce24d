import { MULAW_FRAME_BYTES, MULAW_SILENCE } from './constants.js';
import { MULAW_ENCODE_TABLE } from './_mulaw-tables.js';
import { assertInt16Array, describeValue } from './_validate.js';

type SampleArray = Int16Array | Uint8Array;

/** Writes `count` samples from `source[from ..]` into `target[at ..]`. */
type SampleWriter<S, T> = (source: S, from: number, target: T, at: number, count: number) => void;

/** An element loop rather than set(subarray()): no temporary view per chunk. */
function copySamples<T extends SampleArray>(
  source: T,
  from: number,
  target: T,
  at: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) target[at + i] = source[from + i]!;
}

function encodeSamples(
  source: Int16Array,
  from: number,
  target: Uint8Array,
  at: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) target[at + i] = MULAW_ENCODE_TABLE[source[from + i]! & 0xffff]!;
}

/**
 * Cuts a stream of arbitrary-length chunks into exact, fixed-size frames. Every frame it returns
 * is a fresh array the caller may keep (the bridge queues them for paced sending); nothing else
 * is allocated per chunk.
 */
abstract class Framer<T extends SampleArray> {
  readonly frameSize: number;
  private current: T | undefined;
  private filled = 0;

  protected constructor(
    frameSize: number,
    private readonly silence: number,
  ) {
    if (!Number.isInteger(frameSize) || frameSize <= 0) {
      throw new RangeError(`frame size must be a positive whole number of samples, got ${frameSize}`);
    }
    this.frameSize = frameSize;
  }

  protected abstract allocate(length: number): T;
  protected abstract accepts(chunk: unknown): chunk is T;

  /** Samples held back, waiting for the rest of their frame. */
  get pending(): number {
    return this.filled;
  }

  /** Adds a chunk; returns the frames it completed (possibly none). Empty chunks are refused. */
  push(chunk: T): T[] {
    if (!this.accepts(chunk)) {
      throw new TypeError(`framer input has the wrong type: ${describeValue(chunk)}`);
    }
    if (chunk.length === 0) throw new RangeError('framer input is empty (0 samples)');
    return this.fill(chunk, chunk.length, copySamples);
  }

  /**
   * Moves `length` samples of `source` into frames through `write`, which converts as it copies
   * (a plain copy, or μ-law encoding), so no intermediate buffer is needed.
   */
  protected fill<S>(source: S, length: number, write: SampleWriter<S, T>): T[] {
    const frames: T[] = [];
    let read = 0;
    while (read < length) {
      const current = (this.current ??= this.allocate(this.frameSize));
      const take = Math.min(this.frameSize - this.filled, length - read);
      write(source, read, current, this.filled, take);
      this.filled += take;
      read += take;
      if (this.filled === this.frameSize) {
        frames.push(current);
        this.current = undefined;
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Completes the partial frame with silence; returns it, or nothing if no samples were held. */
  flush(): T[] {
    const current = this.current;
    if (current === undefined || this.filled === 0) return [];
    current.fill(this.silence, this.filled);
    this.current = undefined;
    this.filled = 0;
    return [current];
  }

  /** Drops held samples (e.g. when the agent is interrupted and queued audio is cleared). */
  reset(): void {
    this.current = undefined;
    this.filled = 0;
  }
}

/** μ-law bytes into Twilio-sized frames (160 bytes = 20 ms at 8 kHz by default), padded with 0xFF. */
export class MuLawFramer extends Framer<Uint8Array> {
  constructor(frameBytes = MULAW_FRAME_BYTES) {
    super(frameBytes, MULAW_SILENCE);
  }
  /**
   * Encodes PCM16 (at the frame's rate, 8 kHz for Twilio) to μ-law straight into frames: the
   * downlink's last two steps in one pass. Same return and ownership as `push`.
   */
  pushPcm(pcm: Int16Array): Uint8Array[] {
    assertInt16Array(pcm, 'framer PCM input');
    if (pcm.length === 0) throw new RangeError('framer input is empty (0 samples)');
    return this.fill(pcm, pcm.length, encodeSamples);
  }

  protected allocate(length: number): Uint8Array {
    return new Uint8Array(length);
  }
  protected accepts(chunk: unknown): chunk is Uint8Array {
    return chunk instanceof Uint8Array;
  }
}

/** PCM16 into fixed frames (e.g. `samplesPerFrame(48000)` = 960 for LiveKit), padded with zeros. */
export class PcmFramer extends Framer<Int16Array> {
  constructor(samplesPerFrame: number) {
    super(samplesPerFrame, 0);
  }
  protected allocate(length: number): Int16Array {
    return new Int16Array(length);
  }
  protected accepts(chunk: unknown): chunk is Int16Array {
    return chunk instanceof Int16Array;
  }
}
