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
  return isoInstant(ok ? epochMs : now());
}

/** The second {@link isoInstant} last formatted (epoch seconds) and its `YYYY-MM-DDTHH:MM:SS.` text. */
let cachedSecond = NaN;
let cachedPrefix = '';

/**
 * `new Date(ms).toISOString()` for a storable instant, formatting the date and time only when the
 * second changes: every usage record is stamped on the request path, and consecutive records fall in
 * the same second, so most calls are a string concatenation instead of a Date and its formatting.
 */
function isoInstant(epochMs: number): string {
  // Date truncates a fractional ms toward zero; the cache covers instants from 1970 on (all of them
  // in practice), so flooring to the second below is exact.
  const ms = Math.trunc(epochMs);
  if (ms < 0) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return cachedPrefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}
