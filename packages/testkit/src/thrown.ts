/**
 * The message of the error `fn` throws, which must be an instance of `type` (a config loader's
 * ConfigError, say); throws when `fn` returns or throws something else.
 */
export function messageThrownBy(fn: () => unknown, type: abstract new (...args: never[]) => Error): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err.message;
    throw new Error(`expected a ${type.name}, got ${String(err)}`);
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`);
}
