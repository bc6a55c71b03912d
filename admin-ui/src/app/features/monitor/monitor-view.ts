import type { paths } from '../../api/schema';

/** The answer of `GET /admin/v1/monitor`. */
export type MonitorView = paths['/admin/v1/monitor']['get']['responses'][200]['content']['application/json'];
export type BreakerState = MonitorView['cluster']['breakers'][number]['state'];
export type SeriesPoint = MonitorView['cluster']['series'][number];

/**
 * A glyph per breaker state, each a different shape (tick, half circle, cross); the state is also
 * written out beside it, so neither colour nor the glyph alone carries it.
 */
export const BREAKER_GLYPHS: Record<BreakerState, string> = { closed: '✓', half_open: '◐', open: '✕' };

/** Worst first: an open breaker is what an operator looks for on the wall. */
export function sortBreakers<T extends { deployment: string; state: BreakerState }>(rows: readonly T[]): T[] {
  const rank: Record<BreakerState, number> = { open: 0, half_open: 1, closed: 2 };
  return [...rows].sort((a, b) => rank[a.state] - rank[b.state] || a.deployment.localeCompare(b.deployment));
}

/**
 * The route lists only buckets in which something happened; a sparkline needs every bucket of the
 * window, so the quiet ones are filled in with zero (latency: no value, a gap).
 */
export function fillSeries(
  series: readonly SeriesPoint[],
  windowSeconds: number,
  intervalMs: number,
  generatedAt: string,
): SeriesPoint[] {
  const end = Math.floor(Date.parse(generatedAt) / intervalMs) * intervalMs;
  const start = end - windowSeconds * 1000;
  const byTime = new Map(series.map((p) => [Date.parse(p.t), p]));
  const out: SeriesPoint[] = [];
  for (let t = Math.ceil(start / intervalMs) * intervalMs; t < end; t += intervalMs) {
    out.push(
      byTime.get(t) ?? {
        t: new Date(t).toISOString(),
        requests: 0,
        errors: 0,
        spend_usd: 0,
        latency_p95_ms: null,
        ttft_p95_ms: null,
        cache_hits: 0,
        rate_limited: 0,
      },
    );
  }
  return out;
}

/** A per-second rate with up to two decimals (the wall's large figures). */
export function formatRate(n: number, locale = 'en'): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: n < 10 ? 2 : 1 }).format(n);
}

/** Dollars with enough digits that a cent-fraction spend per minute never reads $0.00. */
export function formatUsd(n: number, locale = 'en'): string {
  const digits = n === 0 ? 2 : n < 0.01 ? 6 : n < 1 ? 4 : 2;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: digits,
  }).format(n);
}
