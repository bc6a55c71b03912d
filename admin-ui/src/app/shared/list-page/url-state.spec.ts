import { parseState, toQueryParams } from './url-state';

describe('urlState helpers', () => {
  const defaults = { q: '', cursor: '', limit: 25 };

  it('reads query values over defaults and parses numbers', () => {
    const params: Record<string, string> = { q: 'acme', limit: '50' };
    expect(parseState(defaults, (k) => params[k] ?? null)).toEqual({ q: 'acme', cursor: '', limit: 50 });
  });

  it('keeps the default for a number that does not parse', () => {
    expect(parseState(defaults, (k) => (k === 'limit' ? 'lots' : null)).limit).toBe(25);
  });

  it('drops defaults and empty values from the URL', () => {
    expect(toQueryParams(defaults, { q: '', limit: 25, cursor: 'abc' })).toEqual({
      q: null,
      limit: null,
      cursor: 'abc',
    });
  });
});
