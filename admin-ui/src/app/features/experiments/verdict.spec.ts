import { formatP, verdictOf } from './verdict';

describe('experiment verdicts', () => {
  it('tells the baseline, missing data, significant and not significant apart', () => {
    expect(verdictOf(null)).toBe('baseline');
    expect(verdictOf({ p_value: null, significant: false })).toBe('insufficient');
    expect(verdictOf({ p_value: 0.01, significant: true })).toBe('significant');
    expect(verdictOf({ p_value: 0.4, significant: false })).toBe('notSignificant');
  });
  it('formats p-values', () => {
    expect(formatP(0.00525)).toBe('0.00525');
    expect(formatP(0.0001)).toBe('<0.001');
    expect(formatP(0.5)).toBe('0.5');
    expect(formatP(1)).toBe('1');
    expect(formatP(null)).toBe('—');
  });
});
