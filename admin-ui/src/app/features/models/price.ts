/** A deployment's price as the models API gives it (USD per million tokens). */
export interface PriceView {
  input: number;
  output: number;
  cached_input: number;
  source: 'deployment' | 'config' | 'genai-prices';
}

/** "$0.15 / $0.6 per 1M tokens" (input / output), or null when unpriced. Up to 4 decimals, no trailing zeros. */
export function formatPrice(p: PriceView | null): string | null {
  if (!p) return null;
  const usd = (n: number) => `$${Number(n.toFixed(4))}`;
  return `${usd(p.input)} / ${usd(p.output)}`;
}
