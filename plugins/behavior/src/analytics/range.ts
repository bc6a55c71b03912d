import { errors } from '@aihub/core/plugin-api';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/**
 * A date-time with an explicit offset (`Z` or `±hh:mm`) and a four-digit year: without the offset
 * `Date.parse` would read the server's local time zone, and a six-digit year (`+275760-…`) would
 * push range arithmetic past the largest date and fail later as a 500.
 */
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parse(value: string, param: string, endOfDay: boolean): number {
  const day = DATE_RE.test(value);
  const t = day
    ? Date.parse(`${value}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0)
    : DATE_TIME_RE.test(value)
      ? Date.parse(value)
      : NaN;
  if (!Number.isFinite(t) || (day && new Date(Date.parse(`${value}T00:00:00Z`)).toISOString().slice(0, 10) !== value)) {
    throw errors.badRequest(
      `${param} must be a UTC day (YYYY-MM-DD) or an ISO-8601 date-time with its offset (2025-01-02T03:04:05Z).`,
      'invalid_range',
      param,
    );
  }
  return t;
}

/**
 * An analytics time range [from, to) in ms. Dates are whole UTC days and `to` is inclusive of its
 * day (`from=2025-01-01&to=2025-01-31` is all of January); date-times are exact. Default: last 7 days.
 */
export function timeRange(
  q: { from?: string; to?: string },
  now: number,
  maxDays: number,
): { from: number; to: number } {
  const to = q.to ? parse(q.to, 'to', true) : now;
  const from = q.from ? parse(q.from, 'from', false) : to - 7 * 86_400_000;
  if (from >= to) throw errors.badRequest('from must be before to.', 'invalid_range', 'from');
  if (to - from > maxDays * 86_400_000)
    throw errors.badRequest(
      `The range is longer than ${maxDays} days; ask for a shorter one.`,
      'invalid_range',
      'from',
    );
  return { from, to };
}

const human = (ms: number) =>
  ms % 86_400_000 === 0 ? `${ms / 86_400_000} days` : ms % 3_600_000 === 0 ? `${ms / 3_600_000} hours` : `${ms} ms`;

/** `7d`, `12h`, `30m`, `3600s` or milliseconds → ms, between 1 ms and `maxMs`. */
export function duration(
  value: string | undefined,
  fallbackMs: number,
  param: string,
  maxMs = 366 * 86_400_000,
): number {
  if (value === undefined || value === '') return fallbackMs;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!m) throw errors.badRequest(`${param} must be a duration like 30m, 12h or 7d.`, 'invalid_duration', param);
  const n = Number(m[1]);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  const ms = n * mult;
  if (ms <= 0 || ms > maxMs)
    throw errors.badRequest(`${param} must be between 1 ms and ${human(maxMs)}.`, 'invalid_duration', param);
  return ms;
}
