/**
 * The times a usage record can carry into the database. PostgreSQL's timestamptz spans 4713 BC to
 * 294276 AD, but it reads only four-digit years from ISO-8601 text (`+010000-01-01T…Z`, which
 * JavaScript writes for year 10000, is "time zone displacement out of range"); SQLite stores the
 * text as is and would sort it wrongly. Both agree on years 0001–9999.
 */
const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** True when `iso` (as parseRecord writes it) is a time both databases store and sort correctly. */
export function isStorableTime(iso: string): boolean {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS;
}
