/** What the simulated caller heard, read as events and audio rather than as elapsed time. */
import { decimate, segmentedCorrelation } from '@callbridge/testkit/audio-fixtures';
import { synthesize } from '@callbridge/testkit/realtime';
import type { SimulatedCall } from '@callbridge/testkit/twilio';

/** What the caller heard from `fromMs` (performance.now) on, as 8 kHz PCM. */
export function heardSince(call: SimulatedCall, fromMs: number): Int16Array {
  return call.heardPcm().subarray(heardIndex(call, fromMs));
}

/** The sample of the caller's heard timeline (8 kHz) that played at `atMs` (performance.now). */
export function heardIndex(call: SimulatedCall, atMs: number): number {
  return Math.max(0, Math.floor(((atMs - call.heardStartedAtMs) / 1000) * 8000));
}

/** Re-exported: the demo waits the same way. */
export { playedOut } from '@callbridge/testkit/twilio';

/** Matches heard audio against the Realtime simulator's voice saying `text` (24 kHz espeak → 8 kHz). */
export function matches(heard: Int16Array, text: string, voice = 'marin') {
  return segmentedCorrelation(decimate(synthesize(text, voice), 3), heard, 2400);
}
