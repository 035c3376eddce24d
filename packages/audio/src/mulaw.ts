import { decodeMuLawInto, encodeMuLawInto } from './_mulaw-tables.js';
import { assertInt16Array, assertUint8Array, describeValue } from './_validate.js';

/**
 * G.711 μ-law bytes to PCM16. Writes into `out` when given (it must hold `bytes.length`
 * samples; a longer one gets a view of its start), so a caller can reuse one buffer per call.
 */
export function muLawDecode(bytes: Uint8Array, out?: Int16Array): Int16Array {
  assertUint8Array(bytes, 'μ-law input');
  const target = outputFor(out, bytes.length, Int16Array, 'μ-law decode');
  decodeMuLawInto(bytes, bytes.length, target);
  return target;
}

/** PCM16 to G.711 μ-law bytes; `out` works as in `muLawDecode`. */
export function muLawEncode(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  assertInt16Array(pcm, 'μ-law encoder input');
  const target = outputFor(out, pcm.length, Uint8Array, 'μ-law encode');
  encodeMuLawInto(pcm, pcm.length, target);
  return target;
}

function outputFor<T extends Int16Array | Uint8Array>(
  out: T | undefined,
  length: number,
  kind: { new (length: number): T; name: string },
  what: string,
): T {
  if (out === undefined) return new kind(length);
  if (!(out instanceof kind)) {
    throw new TypeError(`${what} output must be a ${kind.name}, got ${describeValue(out)}`);
  }
  if (out.length < length) {
    throw new RangeError(`${what} output holds ${out.length} samples but ${length} are needed`);
  }
  return out.length === length ? out : (out.subarray(0, length) as T);
}
