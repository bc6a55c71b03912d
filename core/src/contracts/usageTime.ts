/**
 * Usage record times both databases store: PostgreSQL reads only four-digit years from ISO-8601 text
 * (JavaScript writes year 10000 as `+010000-…`, which it refuses), and SQLite keeps the text, so a
 * time outside 0001–9999 would be refused or sorted wrongly. Producers stamp records with
 * {@link usageTimestamp}; the usage consumer checks what reaches it with {@link isStorableUsageTime}
 * (a plugin may publish its own records).
 */
export const USAGE_TIME_MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const USAGE_TIME_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** True when `iso` is a time a usage record can be stored with. */
export function isStorableUsageTime(iso: string): boolean {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms >= USAGE_TIME_MIN_MS && ms <= USAGE_TIME_MAX_MS;
}

/**
 * The ISO-8601 `timestamp` of a usage record started at `epochMs`; a time that is not a number or
 * cannot be stored (a broken clock, a bad computation) becomes `now()` rather than failing the
 * request or poisoning the queue.
 */
export function usageTimestamp(epochMs: number, now: () => number = Date.now): string {
  const ok = Number.isFinite(epochMs) && epochMs >= USAGE_TIME_MIN_MS && epochMs <= USAGE_TIME_MAX_MS;
  return new Date(ok ? epochMs : now()).toISOString();
}
