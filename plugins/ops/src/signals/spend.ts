/**
 * Spend anomaly: the robust z-score of the last hour's spend against the tenant's own hourly spend
 * over the history before it (hours without spend count as 0):
 *
 *   z = 0.6745 · (x − median) / MAD,  MAD = median(|xᵢ − median|)
 *
 * (Iglewicz and Hoaglin's modified z-score: median and MAD are not dragged by the spikes being looked
 * for, as a mean and standard deviation are). A history flat enough for a MAD of 0 uses a floor of
 * 1% of the median or 1 micro-dollar, so a first spike on a flat line scores high instead of infinite.
 */
export function robustZ(x: number, history: number[]): number {
  if (history.length === 0) return 0;
  const med = median(history);
  const mad = median(history.map((v) => Math.abs(v - med)));
  const scale = Math.max(mad, med * 0.01, 1);
  return (0.6745 * (x - med)) / scale;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
