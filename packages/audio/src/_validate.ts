/** Input checks shared by the audio stages; every message names the value that was refused. */

/** Sample rates we accept: whole hertz within what any codec or device uses. */
export function assertSampleRate(rate: unknown, what = 'sample rate'): asserts rate is number {
  if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1000 || rate > 384_000) {
    throw new RangeError(`${what} must be a whole number of Hz in 1000..384000, got ${String(rate)}`);
  }
}

export function assertChannels(channels: unknown): asserts channels is number {
  if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > 32) {
    throw new RangeError(`channel count must be a whole number in 1..32, got ${String(channels)}`);
  }
}

export function assertInt16Array(value: unknown, what: string): asserts value is Int16Array {
  if (!(value instanceof Int16Array)) {
    throw new TypeError(`${what} must be an Int16Array of PCM16 samples, got ${describeValue(value)}`);
  }
}

export function assertUint8Array(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${what} must be a Uint8Array, got ${describeValue(value)}`);
  }
}

/** A short name for a wrong value in an error message, without dumping its contents. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name ?? 'object';
    const length = (value as { length?: unknown }).length;
    return typeof length === 'number' ? `${name}(length ${length})` : name;
  }
  if (typeof value === 'string') return `string(length ${value.length})`;
  return `${typeof value} ${String(value)}`;
}

export function greatestCommonDivisor(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}
