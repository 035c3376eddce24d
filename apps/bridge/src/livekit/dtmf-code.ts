const DTMF_CODES: Record<string, number> = { '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15 };

/** RFC 4733 event code of a DTMF digit, the numbering LiveKit SIP uses too. */
export function dtmfCode(digit: string): number {
  if (/^[0-9]$/.test(digit)) return Number(digit);
  const code = DTMF_CODES[digit.toUpperCase()];
  if (code === undefined) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return code;
}
