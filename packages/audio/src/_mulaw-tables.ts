import alawmulaw from 'alawmulaw';

/**
 * alawmulaw (the user's choice of codec) is the reference; we tabulate it once at load so the
 * per-frame work is a table lookup with no call or allocation per sample. 256 entries decode,
 * 65536 (one per PCM16 value, 64 KiB) encode: μ-law's finest step is 8, but its bins are offset
 * by 4 and the sign is handled by negation, so a coarser index would misplace boundary values.
 */
export const MULAW_DECODE_TABLE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = alawmulaw.mulaw.decodeSample(code);
  return table;
})();

/** Indexed by the PCM16 sample's two's-complement bit pattern (`sample & 0xffff`). */
export const MULAW_ENCODE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sample = bits >= 32768 ? bits - 65536 : bits;
    table[bits] = alawmulaw.mulaw.encodeSample(sample) & 0xff;
  }
  return table;
})();

/** Decodes `length` bytes of `bytes` into `out` (which must be long enough). */
export function decodeMuLawInto(bytes: Uint8Array, length: number, out: Int16Array): void {
  for (let i = 0; i < length; i++) out[i] = MULAW_DECODE_TABLE[bytes[i]!]!;
}

/** Encodes `length` samples of `pcm` into `out` (which must be long enough). */
export function encodeMuLawInto(pcm: Int16Array, length: number, out: Uint8Array): void {
  for (let i = 0; i < length; i++) out[i] = MULAW_ENCODE_TABLE[pcm[i]! & 0xffff]!;
}
