import { formatMicros, formatMicrosShort, formatRatio, microsToInput, parseUsd } from './money';

describe('formatMicros', () => {
  it('shows amounts under a cent with enough precision to tell them apart', () => {
    expect(formatMicros(400)).toBe('$0.0004');
    expect(formatMicros(500)).toBe('$0.0005');
    expect(formatMicros(1)).toBe('$0.000001');
    expect(formatMicros(4_000)).toBe('$0.004');
  });
  it('keeps two decimals for whole cents and is exact beyond them', () => {
    expect(formatMicros(0)).toBe('$0');
    expect(formatMicros(0, 'zh-CN')).toBe('US$0');
    expect(formatMicros(1_000_000)).toBe('$1.00');
    expect(formatMicros(1_234_567)).toBe('$1.234567');
    expect(formatMicros(12_345_670_000)).toBe('$12,345.67');
  });
  it('prints a dash for missing values', () => {
    expect(formatMicros(null)).toBe('—');
    expect(formatMicros(undefined)).toBe('—');
  });
  it('follows the language', () => {
    expect(formatMicros(1_500_000, 'zh-CN')).toBe('US$1.50');
  });
});

describe('formatMicrosShort', () => {
  it('rounds for axes but does not turn tiny amounts into zero', () => {
    expect(formatMicrosShort(2_500_000)).toBe('$2.50');
    expect(formatMicrosShort(400)).toBe('$0.0004');
    expect(formatMicrosShort(3)).toBe('$0.000003');
    expect(formatMicrosShort(0)).toBe('$0');
    expect(formatMicrosShort(12_345_000_000)).toBe('$12.35K');
  });
});

describe('parseUsd', () => {
  it('turns typed dollars into integer micro-dollars', () => {
    expect(parseUsd('1.5')).toBe(1_500_000);
    expect(parseUsd('$0.0004')).toBe(400);
    expect(parseUsd('1,234.000001')).toBe(1_234_000_001);
    expect(parseUsd('7')).toBe(7_000_000);
  });
  it('reads empty as inherit and refuses what is not an amount', () => {
    expect(parseUsd('  ')).toBeNull();
    expect(parseUsd('-1')).toBeNaN();
    expect(parseUsd('1.0000001')).toBeNaN();
    expect(parseUsd('abc')).toBeNaN();
  });
  it('round-trips with microsToInput', () => {
    for (const m of [0, 1, 400, 1_000_000, 1_234_567, 99_000_000_000]) expect(parseUsd(microsToInput(m))).toBe(m);
    expect(microsToInput(null)).toBe('');
    expect(microsToInput(1_500_000)).toBe('1.5');
  });
});

describe('formatRatio', () => {
  it('formats a share as a percentage and nothing as a dash', () => {
    expect(formatRatio(0.75)).toBe('75.0%');
    expect(formatRatio(null)).toBe('—');
  });
});
