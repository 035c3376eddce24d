import { createRequire } from 'node:module';
import type * as RtcNode from '@livekit/rtc-node';
import type { StreamingResampler } from '../src/resampler-types.js';
import { assertInt16Array, assertSampleRate } from '../src/_validate.js';

/**
 * Loaded on first use: rtc-node brings a native library, which the tests and benchmark subjects
 * that never build this engine should not pay for.
 */
let rtcNode: typeof RtcNode | undefined;
function loadRtcNode(): typeof RtcNode {
  rtcNode ??= createRequire(import.meta.url)('@livekit/rtc-node') as typeof RtcNode;
  return rtcNode;
}

/**
 * LiveKit's `AudioResampler` (libsoxr in the native FFI library), at rtc-node's default MEDIUM
 * quality. Stateful, with excellent filters, but every call crosses the FFI boundary and the
 * native side hands audio back in bursts (about 60 ms at a time for 20 ms frames), so most calls
 * return nothing and some return three frames' worth.
 */
export class SoxrResampler implements StreamingResampler {
  readonly engine = 'livekit-soxr';
  readonly inputRate: number;
  readonly outputRate: number;
  private native: RtcNode.AudioResampler;
  private output = new Int16Array(1024);
  private staging = new Int16Array(0);

  constructor(inputRate: number, outputRate: number) {
    assertSampleRate(inputRate, 'input sample rate');
    assertSampleRate(outputRate, 'output sample rate');
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.native = this.open();
  }

  process(input: Int16Array): Int16Array {
    assertInt16Array(input, 'resampler input');
    if (input.length === 0) return this.output.subarray(0, 0);
    const { AudioFrame } = loadRtcNode();
    const whole = this.wholeBufferView(input);
    return this.collect(this.native.push(new AudioFrame(whole, this.inputRate, 1, whole.length)));
  }

  /**
   * rtc-node's AudioFrame hands `data.buffer` to the native side from its first byte, ignoring
   * `byteOffset`, so a subarray view would resample the wrong samples. Copy such views.
   */
  private wholeBufferView(input: Int16Array): Int16Array {
    if (input.byteOffset === 0 && input.byteLength === input.buffer.byteLength) return input;
    if (this.staging.length !== input.length) this.staging = new Int16Array(input.length);
    this.staging.set(input);
    return this.staging;
  }

  flush(): Int16Array {
    const drained = this.collect(this.native.flush());
    this.reset();
    return drained;
  }

  reset(): void {
    this.native.close();
    this.native = this.open();
  }

  close(): void {
    this.native.close();
  }

  private open(): RtcNode.AudioResampler {
    const { AudioResampler, AudioResamplerQuality } = loadRtcNode();
    return new AudioResampler(this.inputRate, this.outputRate, 1, AudioResamplerQuality.MEDIUM);
  }

  private collect(frames: RtcNode.AudioFrame[]): Int16Array {
    const total = frames.reduce((sum, frame) => sum + frame.data.length, 0);
    if (this.output.length < total) this.output = new Int16Array(total);
    let offset = 0;
    for (const frame of frames) {
      this.output.set(frame.data, offset);
      offset += frame.data.length;
    }
    return this.output.subarray(0, total);
  }
}
