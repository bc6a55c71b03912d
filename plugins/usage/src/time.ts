/** UTC calendar helpers for rollups and budget periods. Days are `YYYY-MM-DD`, months `YYYY-MM`. */

export type Period = 'daily' | 'monthly';
export const PERIODS: readonly Period[] = ['daily', 'monthly'];

/** `YYYY-MM-DD` of an instant, in UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `YYYY-MM` of an instant, in UTC. */
export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** The period an instant falls in: its key (`YYYY-MM-DD` or `YYYY-MM`), start and end (exclusive) in ms. */
export function periodOf(period: Period, ms: number): { key: string; start: number; end: number } {
  const d = new Date(ms);
  if (period === 'daily') {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { key: utcDay(start), start, end: start + 86_400_000 };
  }
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { key: utcMonth(start), start, end };
}

/** First and last day (inclusive) of a `YYYY-MM` month. */
export function monthDays(month: string): { first: string; last: string; start: number; end: number } {
  const [y, m] = month.split('-').map(Number);
  const start = Date.UTC(y, m - 1, 1);
  const end = Date.UTC(y, m, 1);
  return { first: utcDay(start), last: utcDay(end - 86_400_000), start, end };
}

const DAY_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** True for a real calendar day `YYYY-MM-DD` (rejects 2025-02-30). */
export function isDay(value: string): boolean {
  if (!DAY_RE.test(value)) return false;
  return utcDay(Date.parse(`${value}T00:00:00Z`)) === value;
}

/** Days from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); t <= end; t += 86_400_000)
    out.push(utcDay(t));
  return out;
}

/** `YYYY-MM-DD` plus n days. */
export function addDays(day: string, n: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000);
}
