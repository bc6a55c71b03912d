import { formatMs, formatRatio, spentRatio } from './ratio';

describe('overview formatting', () => {
  it('shows ratios as percentages, never a rare error as 0%', () => {
    expect(formatRatio(0.2)).toBe('20%');
    expect(formatRatio(0.1234)).toBe('12.3%');
    expect(formatRatio(0)).toBe('0%');
    expect(formatRatio(0.00001)).toBe('<0.1%');
    expect(formatRatio(null)).toBe('—');
    expect(formatRatio(Number.NaN)).toBe('—');
  });
  it('shows latency in ms under a second, in s above', () => {
    expect(formatMs(190)).toBe('190 ms');
    expect(formatMs(1250)).toBe('1.25 s');
    expect(formatMs(null)).toBe('—');
  });
  it('measures spend against a limit, capped, none without a limit', () => {
    expect(spentRatio(50, 100)).toBe(0.5);
    expect(spentRatio(150, 100)).toBe(1);
    expect(spentRatio(5, null)).toBeNull();
    expect(spentRatio(5, 0)).toBeNull();
  });
});
