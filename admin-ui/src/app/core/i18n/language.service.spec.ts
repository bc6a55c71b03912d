import { formatDate } from './local-date.pipe';
import { preferredLanguage } from './language.service';

describe('language', () => {
  it('remembers a stored choice, else follows the browser (zh-* → zh-CN), else English', () => {
    expect(preferredLanguage('zh-CN', ['en-US'])).toBe('zh-CN');
    expect(preferredLanguage(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(preferredLanguage('fr', ['de-DE'])).toBe('en');
  });

  it('formats dates in the language, and names UTC where asked', () => {
    const d = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(formatDate(d, 'en', 'utc')).toMatch(/Jan 2, 2026.*3:04:05.*UTC/);
    expect(formatDate(d, 'zh-CN', 'utc')).toMatch(/2026年1月2日/);
  });
});
