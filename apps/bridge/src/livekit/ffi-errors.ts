/**
 * The LiveKit FFI's answer to disposing a handle it has already freed (rtc-node surfaces it as a
 * napi `GenericFailure`). Harmless: nothing is left to free.
 */
export function isStaleFfiHandle(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err as Error & { code?: unknown }).code === 'GenericFailure' &&
    err.message === 'trying to drop an invalid handle'
  );
}
