/**
 * Background of a retention cell for a rate 0..1: one blue hue from very light (0%) to mid (100%).
 * Lightness stays at or above 55%, where black text keeps a contrast of at least 4.5:1 (WCAG AA),
 * so every cell uses the same dark text.
 */
export function heatColor(rate: number): string {
  const r = Math.min(1, Math.max(0, rate));
  return `hsl(210 70% ${Math.round(97 - 42 * r)}%)`;
}
