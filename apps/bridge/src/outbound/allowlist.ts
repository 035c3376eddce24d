/** Whether a destination is allowed: an exact E.164 entry, or a `+prefix*` entry it starts with. */
export function isAllowedDestination(number: string, allowlist: readonly string[]): boolean {
  return allowlist.some((entry) =>
    entry.endsWith('*') ? number.startsWith(entry.slice(0, -1)) : number === entry,
  );
}
