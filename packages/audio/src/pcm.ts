import { roundToPcm16 } from './_round.js';
import { assertChannels, assertInt16Array, assertUint8Array, describeValue } from './_validate.js';

/**
 * Averages interleaved channels into mono. Mono input is returned as is (or copied into `out`).
 * `out` must hold `interleaved.length / channels` samples; a longer one gets a view of its start.
 */
export function downmixToMono(interleaved: Int16Array, channels: number, out?: Int16Array): Int16Array {
  assertInt16Array(interleaved, 'interleaved PCM');
  assertChannels(channels);
  if (interleaved.length % channels !== 0) {
    throw new RangeError(
      `interleaved PCM of ${interleaved.length} samples does not divide into ${channels} channels`,
    );
  }
  const frames = interleaved.length / channels;
  let target: Int16Array;
  if (out === undefined) {
    if (channels === 1) return interleaved;
    target = new Int16Array(frames);
  } else {
    if (!(out instanceof Int16Array)) {
      throw new TypeError(`downmix output must be an Int16Array, got ${describeValue(out)}`);
    }
    if (out.length < frames) {
      throw new RangeError(`downmix output holds ${out.length} samples but ${frames} are needed`);
    }
    target = out.length === frames ? out : out.subarray(0, frames);
  }
  mixInto(interleaved, channels, frames, target);
  return target;
}

/** The downmix loop, for stages that manage their own buffer. */
export function mixInto(interleaved: Int16Array, channels: number, frames: number, out: Int16Array): void {
  if (channels === 1) {
    out.set(interleaved.subarray(0, frames));
  } else if (channels === 2) {
    // Integer round-half-up of the mean; no Math.round, whose branches mispredict on speech.
    for (let i = 0; i < frames; i++) out[i] = (interleaved[2 * i]! + interleaved[2 * i + 1]! + 1) >> 1;
  } else {
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c]!;
      out[i] = roundToPcm16(sum / channels);
    }
  }
}

/**
 * Little-endian PCM16 bytes (a WAV body, a Buffer off a socket) as samples. An odd byte count
 * means a split or corrupt sample and is refused rather than truncated.
 */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  assertUint8Array(bytes, 'PCM16 bytes');
  if (bytes.byteLength % 2 !== 0) {
    throw new RangeError(`PCM16 needs an even number of bytes, got ${bytes.byteLength}`);
  }
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  // Int16Array views need 2-byte alignment; Node's pooled Buffers often start at odd offsets.
  return new Int16Array(bytes.slice().buffer);
}
