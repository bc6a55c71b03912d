/**
 * Formats a ratio in [0, 1] (error rate, cache hit ratio) as a percentage with up to one decimal,
 * "—" when there is none (no requests). A non-zero ratio under 0.05 % reads "<0.1%" so a few errors
 * in a million never look like zero.
 */
export function formatRatio(ratio: number | null | undefined, locale = 'en'): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  if (ratio > 0 && ratio < 0.0005)
    return `<${new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(0.001)}`;
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/** Milliseconds as "850 ms" or, from a second on, "1.25 s"; "—" when unknown. */
export function formatMs(ms: number | null | undefined, locale = 'en'): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(ms)} ms`;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(ms / 1000)} s`;
}

/** Spent against a limit as a ratio (for the budget meter), capped at 1; null without a limit. */
export function spentRatio(spent: number, limit: number | null | undefined): number | null {
  if (limit === null || limit === undefined || limit <= 0) return null;
  return Math.min(1, spent / limit);
}
