/** A join (connect and publish) that takes longer than this is given up and cleaned up. */
export const JOIN_TIMEOUT_MS = 20_000;

/** Waits for the join, failing once `timeoutMs` have passed (the caller then cleans up). */
export async function joinWithin(joining: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      joining,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`LiveKit join timed out after ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
