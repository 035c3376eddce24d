/**
 * Nearest PCM16 value (ties up), clamped. Written without Math.round and with a single shift
 * so V8 emits compares and a truncation rather than data-dependent branches: on real speech
 * Math.round's branches mispredicted often enough to double the cost of a whole 8k -> 48k frame.
 */
export function roundToPcm16(value: number): number {
  const shifted = value + 32768.5;
  return (shifted <= 0 ? 0 : shifted >= 65535 ? 65535 : shifted | 0) - 32768;
}
