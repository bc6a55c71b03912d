/** A deployment's price as the models API gives it (USD per million tokens). */
export interface PriceView {
  input: number;
  output: number;
  cached_input: number;
  source: 'deployment' | 'config' | 'genai-prices';
}

/**
 * "$0.15 / $0.6" per 1M tokens (input / output), or null when unpriced. Up to 4 decimals, no trailing
 * zeros; in the console's language like every other amount (zh-CN writes "US$0.15", as spend does).
 */
export function formatPrice(p: PriceView | null, locale = 'en'): string | null {
  if (!p) return null;
  const fmt = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 0,
    maximumFractionDigits: 4,
  });
  return `${fmt.format(p.input)} / ${fmt.format(p.output)}`;
}
