/**
 * G.711 μ-law for the simulated phone line, as lookup tables built once from `alawmulaw` (a
 * third-party codec, so the simulator does not share code with the bridge it tests). Tables make
 * a 160-sample frame a few hundred array reads, which matters with 100+ simulated calls.
 */
import alawmulaw from 'alawmulaw';

/** μ-law byte for digital silence; phones and Twilio send it between words. */
export const MULAW_SILENCE = 0xff;

const decodeTable: Int16Array = alawmulaw.mulaw.decode(Uint8Array.from({ length: 256 }, (_, i) => i));

const encodeTable: Uint8Array = (() => {
  const all = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i - 32768;
  return alawmulaw.mulaw.encode(all);
})();

export function encodeMulaw(pcm: Int16Array, out: Uint8Array, outOffset = 0): void {
  for (let i = 0; i < pcm.length; i++)
    out[outOffset + i] = encodeTable[(pcm[i] ?? 0) + 32768] ?? MULAW_SILENCE;
}

export function decodeMulaw(mulaw: Uint8Array, out: Int16Array, outOffset = 0): void {
  for (let i = 0; i < mulaw.length; i++) out[outOffset + i] = decodeTable[mulaw[i] ?? MULAW_SILENCE] ?? 0;
}

/** Largest absolute sample value in a μ-law frame, without decoding it into a buffer. */
export function mulawPeak(mulaw: Uint8Array, start: number, end: number): number {
  let peak = 0;
  for (let i = start; i < end; i++) {
    const v = Math.abs(decodeTable[mulaw[i] ?? MULAW_SILENCE] ?? 0);
    if (v > peak) peak = v;
  }
  return peak;
}
