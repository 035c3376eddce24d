/**
 * The 44-byte RIFF/WAVE header of a 16-bit PCM file. The two sizes in it (the RIFF chunk and the
 * `data` chunk) are rewritten as the file grows, so a file cut off at any moment still says how
 * much audio it holds.
 */

export const WAV_HEADER_BYTES = 44;
/** Where the RIFF chunk size (file size − 8) and the `data` chunk size sit in the header. */
export const RIFF_SIZE_OFFSET = 4;
export const DATA_SIZE_OFFSET = 40;

export interface PcmFormat {
  sampleRate: number;
  channels: number;
}

/** The header of a 16-bit PCM WAV holding `dataBytes` of samples. */
export function wavHeader(format: PcmFormat, dataBytes: number): Buffer {
  const { sampleRate, channels } = format;
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, RIFF_SIZE_OFFSET);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28); // byte rate
  h.writeUInt16LE(channels * 2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, DATA_SIZE_OFFSET);
  return h;
}

/** The two size fields for `dataBytes` of samples, as [offset, 4 bytes] pairs to write in place. */
export function wavSizes(dataBytes: number): [number, Buffer][] {
  const riff = Buffer.alloc(4);
  riff.writeUInt32LE(36 + dataBytes);
  const data = Buffer.alloc(4);
  data.writeUInt32LE(dataBytes);
  return [
    [RIFF_SIZE_OFFSET, riff],
    [DATA_SIZE_OFFSET, data],
  ];
}
