/** Micro-dollars per dollar: the API's money unit is the integer micro-dollar. */
export const MICROS_PER_USD = 1_000_000;

/**
 * Formats integer micro-dollars as dollars, exactly: at least 2 and up to 6 decimals (a zero is "$0"), so an amount
 * under a cent never reads "$0.00" (400 µ$ → "$0.0004") and two different amounts never print the
 * same. `locale` is the UI language.
 */
export function formatMicros(micros: number | null | undefined, locale = 'en'): string {
  if (micros === null || micros === undefined || !Number.isFinite(micros)) return '—';
  // A zero is "$0": "$0.00" beside "$0.000006" in one column reads as a rounded-away amount.
  if (micros === 0)
    return new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format(0);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: 6,
  }).format(micros / MICROS_PER_USD);
}

/**
 * A short amount for chart axes: three significant digits under a dollar (so $0.000003 ticks do not
 * all read "$0.00"), cents above, compact from $10k. The exact figure is in the tooltip and table.
 */
export function formatMicrosShort(micros: number, locale = 'en'): string {
  const usd = micros / MICROS_PER_USD;
  const abs = Math.abs(usd);
  const options: Intl.NumberFormatOptions =
    abs === 0
      ? { maximumFractionDigits: 0 }
      : abs < 1
        ? { maximumSignificantDigits: 3 }
        : { maximumFractionDigits: 2, notation: abs >= 10_000 ? 'compact' : 'standard' };
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD', ...options }).format(usd);
}

/**
 * Parses a dollar amount typed by a user ("1.50", "$0.0004", "1,234.5") into integer micro-dollars.
 * Empty → null (inherit); anything else that is not a non-negative amount with at most 6 decimals →
 * NaN, which the form reports before sending.
 */
export function parseUsd(text: string): number | null {
  const s = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (s === '') return null;
  const m = /^(\d+)(?:\.(\d{0,6}))?$/.exec(s);
  if (!m) return Number.NaN;
  const micros = Number(m[1]) * MICROS_PER_USD + Number((m[2] ?? '').padEnd(6, '0'));
  return Number.isSafeInteger(micros) ? micros : Number.NaN;
}

/** Micro-dollars as a plain decimal string for an input field (no currency sign, no grouping). */
export function microsToInput(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '';
  const whole = Math.floor(micros / MICROS_PER_USD);
  const frac = String(micros % MICROS_PER_USD)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** A share as a percentage with one decimal, or '—' when there is nothing to divide. */
export function formatRatio(ratio: number | null | undefined, locale = 'en'): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    ratio,
  );
}
