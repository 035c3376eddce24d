import { parseMarkName } from '@callbridge/twilio-media';
import { waitFor } from '../wait/index.js';
import type { SimulatedCall } from './_call.js';

/** One of the bridge's progress marks inside an utterance (`heard-…`), not the mark that ends it. */
export function isProgressMark(name: string): boolean {
  return parseMarkName(name)?.kind === 'progress';
}

/**
 * Waits until the utterance the caller is hearing has played out: the bridge puts a `mark` after
 * each agent utterance and the caller echoes it once playback reaches it (not because of a
 * `clear`). The bridge's progress marks inside an utterance (`heard-…`) do not count. Call it after the utterance's onset: marks of earlier utterances were echoed before
 * it began, and the listener only sees marks echoed from now on. Returns the moment
 * (performance.now) the mark came back.
 */
export async function playedOut(call: SimulatedCall, what: string, timeoutMs = 30_000): Promise<number> {
  let at = 0;
  const onMark = (m: { name: string; cleared: boolean; atMs: number }) => {
    if (!m.cleared && at === 0 && !isProgressMark(m.name)) at = m.atMs;
  };
  call.on('mark', onMark);
  try {
    return await waitFor(`${what} to play out at the caller`, () => at > 0 && at, { timeoutMs });
  } finally {
    call.off('mark', onMark);
  }
}
