/** A range of whole UTC days, both ends inclusive, as `YYYY-MM-DD` (what the usage API takes). */
export interface DayRange {
  from: string;
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 86_400_000;

/** Whether `s` is a real calendar day `YYYY-MM-DD` (2026-02-30 is not). */
export function isDay(s: string): boolean {
  if (!DAY.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The UTC day of an instant. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + n * MS_PER_DAY);
}

/** Days from `from` to `to`, inclusive. */
export function dayCount(r: DayRange): number {
  return Math.round((Date.parse(`${r.to}T00:00:00Z`) - Date.parse(`${r.from}T00:00:00Z`)) / MS_PER_DAY) + 1;
}

export type RangePreset = 'today' | '7d' | '30d' | 'month' | 'lastMonth';

/** A preset range ending today (UTC), or the current / previous UTC month. */
export function presetRange(preset: RangePreset, now: number): DayRange {
  const today = utcDay(now);
  switch (preset) {
    case 'today':
      return { from: today, to: today };
    case '7d':
      return { from: addDays(today, -6), to: today };
    case '30d':
      return { from: addDays(today, -29), to: today };
    case 'month':
      return { from: `${today.slice(0, 7)}-01`, to: today };
    case 'lastMonth': {
      const last = addDays(`${today.slice(0, 7)}-01`, -1);
      return { from: `${last.slice(0, 7)}-01`, to: last };
    }
  }
}

/**
 * The range the URL asks for: `from`/`to` when both are valid days in order and at most `maxDays`
 * long; otherwise the default (the 30 days up to today) and the reason, so the page can say why it
 * did not use what was typed.
 */
export function resolveRange(
  from: string,
  to: string,
  now: number,
  maxDays = 366,
): { range: DayRange; problem: 'invalid' | 'reversed' | 'tooLong' | null } {
  const fallback = presetRange('30d', now);
  if (!from && !to) return { range: fallback, problem: null };
  if (!isDay(from) || !isDay(to)) return { range: fallback, problem: 'invalid' };
  if (from > to) return { range: fallback, problem: 'reversed' };
  if (dayCount({ from, to }) > maxDays) return { range: fallback, problem: 'tooLong' };
  return { range: { from, to }, problem: null };
}

/** The UTC month `YYYY-MM` of an instant. */
export function utcMonth(ms: number): string {
  return utcDay(ms).slice(0, 7);
}

/** Whether `s` is a month `YYYY-MM`. */
export function isMonth(s: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(s);
}
