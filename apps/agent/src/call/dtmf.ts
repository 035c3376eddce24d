/**
 * Groups keypad presses into one input for the model: digits typed in a burst ("1 2 3 4 #") are
 * one answer, so they go to the model together, after `#` or a pause, instead of one turn per key.
 */

export const DTMF_DIGITS = /^[0-9*#A-D]$/;

export interface DtmfCollectorOptions {
  /** A pause this long ends the entry. */
  interDigitTimeoutMs: number;
  /** Receives the collected keys, e.g. "1234#". */
  onEntry: (keys: string) => void;
  /** Entries longer than this are sent at once, so a stuck key cannot grow without bound. */
  maxKeys?: number;
}

export class DtmfCollector {
  readonly #opts: Required<DtmfCollectorOptions>;
  #keys = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: DtmfCollectorOptions) {
    this.#opts = { maxKeys: 32, ...opts };
  }

  /** Adds one key; anything that is not a DTMF key is ignored. */
  press(key: string): void {
    const k = key.toUpperCase();
    if (!DTMF_DIGITS.test(k)) return;
    this.#keys += k;
    clearTimeout(this.#timer);
    if (k === '#' || this.#keys.length >= this.#opts.maxKeys) {
      this.flush();
      return;
    }
    this.#timer = setTimeout(() => this.flush(), this.#opts.interDigitTimeoutMs);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const keys = this.#keys;
    this.#keys = '';
    if (keys) this.#opts.onEntry(keys);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#keys = '';
  }
}

/** How the keys are put to the model: spelled out, so it cannot misread "10" as ten. */
export function dtmfUserInput(keys: string): string {
  const spoken = keys
    .split('')
    .map((k) => (k === '#' ? 'pound' : k === '*' ? 'star' : k))
    .join(' ');
  return `[The caller pressed these keys on the phone keypad: ${spoken}]`;
}
