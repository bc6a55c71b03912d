import { decodeSteps, encodeSteps, formatDuration, listOf, percent } from './behavior-range';
import { heatColor } from './heat';

/** WCAG relative luminance of an `hsl(h s% l%)` color. */
function luminance(hsl: string): number {
  const [h, s, l] = hsl.match(/[\d.]+/g)!.map(Number);
  const sat = s / 100;
  const light = l / 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = sat * Math.min(light, 1 - light);
  const f = (n: number) => light - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(f(0)) + 0.7152 * lin(f(8)) + 0.0722 * lin(f(4));
}

describe('behavior screen helpers', () => {
  it('keeps funnel steps with commas and other characters through the URL', () => {
    const steps = ['Order Completed', 'a,b', '100% done', ''];
    expect(decodeSteps(encodeSteps(steps))).toEqual(steps);
    expect(encodeSteps(['signup', 'activate'])).toBe('signup,activate');
    expect(decodeSteps('%E0%A4%A')).toEqual(['%E0%A4%A']);
  });

  it('reads comma lists and formats percentages and durations', () => {
    expect(listOf(' a, ,b ')).toEqual(['a', 'b']);
    expect(percent(0.75, 'en')).toBe('75.0%');
    expect(percent(1 / 3, 'en')).toBe('33.3%');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(7 * 86_400_000)).toBe('7 d');
    expect(formatDuration(90 * 60_000)).toBe('1.5 h');
    expect(formatDuration(25 * 60_000)).toBe('25 min');
  });

  it('colors retention cells so black text keeps at least 4.5:1 contrast (WCAG AA) at every rate', () => {
    for (let r = 0; r <= 1.0001; r += 0.05) {
      const contrast = (luminance(heatColor(r)) + 0.05) / 0.05;
      expect(contrast).toBeGreaterThanOrEqual(4.5);
    }
    expect(heatColor(2)).toBe(heatColor(1));
    expect(heatColor(0)).not.toBe(heatColor(1));
  });
});
