/** An append-only byte buffer that doubles its capacity: the heard-audio timeline of one call. */
export class ByteLog {
  private data: Uint8Array;
  private used = 0;

  constructor(initialCapacity = 8000) {
    this.data = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.used;
  }

  /** Reserves `n` bytes at the end and returns them for the caller to fill. */
  append(n: number): Uint8Array {
    if (this.used + n > this.data.length) {
      const grown = new Uint8Array(Math.max(this.data.length * 2, this.used + n));
      grown.set(this.data.subarray(0, this.used));
      this.data = grown;
    }
    const slot = this.data.subarray(this.used, this.used + n);
    this.used += n;
    return slot;
  }

  view(): Uint8Array {
    return this.data.subarray(0, this.used);
  }
}
