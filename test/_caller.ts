/** What the simulated caller heard, read as events and audio rather than as elapsed time. */
import { decimate, segmentedCorrelation } from '@callbridge/testkit/audio-fixtures';
import { synthesize } from '@callbridge/testkit/realtime';
import type { SimulatedCall } from '@callbridge/testkit/twilio';
import { waitFor } from '@callbridge/testkit/wait';

/** What the caller heard from `fromMs` (performance.now) on, as 8 kHz PCM. */
export function heardSince(call: SimulatedCall, fromMs: number): Int16Array {
  return call.heardPcm().subarray(heardIndex(call, fromMs));
}

/** The sample of the caller's heard timeline (8 kHz) that played at `atMs` (performance.now). */
export function heardIndex(call: SimulatedCall, atMs: number): number {
  return Math.max(0, Math.floor(((atMs - call.heardStartedAtMs) / 1000) * 8000));
}

/**
 * Waits until the utterance the caller is hearing has played out: the bridge puts a `mark` after
 * each agent utterance and the caller echoes it once playback reaches it (not because of a
 * `clear`). Call it after the utterance's onset: marks of earlier utterances were echoed before
 * it began, and the listener only sees marks echoed from now on. Returns the moment (performance.now) the mark came back.
 */
export async function playedOut(call: SimulatedCall, what: string, timeoutMs = 30_000): Promise<number> {
  let at = 0;
  const onMark = (m: { cleared: boolean; atMs: number }) => {
    if (!m.cleared && at === 0) at = m.atMs;
  };
  call.on('mark', onMark);
  try {
    return await waitFor(`${what} to play out at the caller`, () => at > 0 && at, { timeoutMs });
  } finally {
    call.off('mark', onMark);
  }
}

/** Matches heard audio against the Realtime simulator's voice saying `text` (24 kHz espeak → 8 kHz). */
export function matches(heard: Int16Array, text: string, voice = 'marin') {
  return segmentedCorrelation(decimate(synthesize(text, voice), 3), heard, 2400);
}
