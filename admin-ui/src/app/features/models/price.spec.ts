import { formatPrice } from './price';

describe('model prices', () => {
  it('shows input / output per million tokens without float noise', () => {
    expect(formatPrice({ input: 0.15, output: 0.6, cached_input: 0.075, source: 'genai-prices' })).toBe('$0.15 / $0.6');
    expect(formatPrice({ input: 0.1 + 0.2, output: 10, cached_input: 0, source: 'config' })).toBe('$0.3 / $10');
  });
  it('writes amounts in the console language, as spend is written', () => {
    expect(formatPrice({ input: 0.15, output: 0.6, cached_input: 0, source: 'config' }, 'zh-CN')).toBe(
      'US$0.15 / US$0.6',
    );
    expect(formatPrice({ input: 1234.5, output: 0.6, cached_input: 0, source: 'config' }, 'en')).toBe(
      '$1,234.5 / $0.6',
    );
  });
  it('says nothing for an unpriced deployment', () => {
    expect(formatPrice(null)).toBeNull();
  });
});
