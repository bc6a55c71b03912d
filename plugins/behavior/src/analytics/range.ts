import { errors } from '@aihub/core/plugin-api';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function parse(value: string, param: string, endOfDay: boolean): number {
  const t = DATE_RE.test(value) ? Date.parse(`${value}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0) : Date.parse(value);
  if (!Number.isFinite(t) || (DATE_RE.test(value) && new Date(Date.parse(`${value}T00:00:00Z`)).toISOString().slice(0, 10) !== value)) {
    throw errors.badRequest(`${param} must be a date (YYYY-MM-DD) or an ISO-8601 date-time.`, 'invalid_range', param);
  }
  return t;
}

/**
 * An analytics time range [from, to) in ms. Dates are whole UTC days and `to` is inclusive of its
 * day (`from=2025-01-01&to=2025-01-31` is all of January); date-times are exact. Default: last 7 days.
 */
export function timeRange(q: { from?: string; to?: string }, now: number, maxDays: number): { from: number; to: number } {
  const to = q.to ? parse(q.to, 'to', true) : now;
  const from = q.from ? parse(q.from, 'from', false) : to - 7 * 86_400_000;
  if (from >= to) throw errors.badRequest('from must be before to.', 'invalid_range', 'from');
  if (to - from > maxDays * 86_400_000) throw errors.badRequest(`The range is longer than ${maxDays} days; ask for a shorter one.`, 'invalid_range', 'from');
  return { from, to };
}

/** `7d`, `12h`, `30m`, `3600s` or milliseconds → ms. */
export function duration(value: string | undefined, fallbackMs: number, param: string): number {
  if (value === undefined || value === '') return fallbackMs;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!m) throw errors.badRequest(`${param} must be a duration like 30m, 12h or 7d.`, 'invalid_duration', param);
  const n = Number(m[1]);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  const ms = n * mult;
  if (ms <= 0 || ms > 366 * 86_400_000) throw errors.badRequest(`${param} must be between 1 ms and 366 days.`, 'invalid_duration', param);
  return ms;
}
