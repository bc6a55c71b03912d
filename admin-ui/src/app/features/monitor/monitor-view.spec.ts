import { fillSeries, formatRate, formatUsd, sortBreakers, type SeriesPoint } from './monitor-view';

const point = (t: number, requests: number): SeriesPoint => ({
  t: new Date(t).toISOString(),
  requests,
  errors: 0,
  spend_usd: 0,
  latency_p95_ms: 5,
  ttft_p95_ms: null,
  cache_hits: 0,
  rate_limited: 0,
});

describe('monitoring wall helpers', () => {
  it('fills the quiet buckets of the window with zeros and keeps the busy ones', () => {
    const filled = fillSeries([point(96_000, 3)], 10, 2000, new Date(100_500).toISOString());
    expect(filled.map((p) => Date.parse(p.t))).toEqual([90_000, 92_000, 94_000, 96_000, 98_000]);
    expect(filled.map((p) => p.requests)).toEqual([0, 0, 0, 3, 0]);
    expect(filled[0].latency_p95_ms).toBeNull();
  });
  it('puts open breakers first, then half-open, then closed', () => {
    const rows = sortBreakers([
      { deployment: 'b', state: 'closed' as const },
      { deployment: 'z', state: 'open' as const },
      { deployment: 'a', state: 'half_open' as const },
      { deployment: 'c', state: 'open' as const },
    ]);
    expect(rows.map((r) => r.deployment)).toEqual(['c', 'z', 'a', 'b']);
  });
  it('formats rates and small spends without hiding them', () => {
    expect(formatRate(1.2345)).toBe('1.23');
    expect(formatRate(123.45)).toBe('123.5');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.000123)).toBe('$0.000123');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(12.345)).toBe('$12.35');
  });
});
