import { addDays, dayCount, isDay, isMonth, presetRange, resolveRange, utcMonth } from './range';

const NOW = Date.parse('2026-03-15T23:30:00Z');

describe('day ranges (UTC)', () => {
  it('knows real days', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-30')).toBe(false);
    expect(isDay('2026-2-1')).toBe(false);
    expect(isMonth('2026-12')).toBe(true);
    expect(isMonth('2026-13')).toBe(false);
  });
  it('adds days across months and counts both ends', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(dayCount({ from: '2026-03-01', to: '2026-03-01' })).toBe(1);
    expect(dayCount({ from: '2026-02-01', to: '2026-03-01' })).toBe(29);
  });
  it('uses UTC, not the browser zone, for presets', () => {
    expect(presetRange('today', NOW)).toEqual({ from: '2026-03-15', to: '2026-03-15' });
    expect(presetRange('7d', NOW)).toEqual({ from: '2026-03-09', to: '2026-03-15' });
    expect(presetRange('30d', NOW)).toEqual({ from: '2026-02-14', to: '2026-03-15' });
    expect(presetRange('month', NOW)).toEqual({ from: '2026-03-01', to: '2026-03-15' });
    expect(presetRange('lastMonth', NOW)).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(utcMonth(NOW)).toBe('2026-03');
  });
  it('takes the URL range when valid, else the default and why', () => {
    expect(resolveRange('', '', NOW)).toEqual({ range: { from: '2026-02-14', to: '2026-03-15' }, problem: null });
    expect(resolveRange('2026-01-01', '2026-01-31', NOW)).toEqual({
      range: { from: '2026-01-01', to: '2026-01-31' },
      problem: null,
    });
    expect(resolveRange('2026-01-31', '2026-01-01', NOW).problem).toBe('reversed');
    expect(resolveRange('2026-01-01', 'nope', NOW).problem).toBe('invalid');
    expect(resolveRange('2020-01-01', '2026-01-01', NOW).problem).toBe('tooLong');
  });
});
