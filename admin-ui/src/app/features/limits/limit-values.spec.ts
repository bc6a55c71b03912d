import { effectiveLimit, toLimitBody, usageShare } from './limit-values';

describe('toLimitBody', () => {
  it('sends empty fields as null (inherit) and numbers as numbers', () => {
    expect(toLimitBody({ requestsPerMinute: '120', tokensPerMinute: '', concurrentRequests: '1,000' })).toEqual({
      body: { requestsPerMinute: 120, tokensPerMinute: null, concurrentRequests: 1000 },
    });
  });
  it('names the fields that are not positive whole numbers', () => {
    expect(toLimitBody({ requestsPerMinute: '0', tokensPerMinute: '1.5', concurrentRequests: 'x' })).toEqual({
      invalid: ['requestsPerMinute', 'tokensPerMinute', 'concurrentRequests'],
    });
  });
});

describe('usageShare', () => {
  it('is the share of the limit used, capped at 1, or null without a limit', () => {
    expect(usageShare(5, 10)).toBe(0.5);
    expect(usageShare(12, 10)).toBe(1);
    expect(usageShare(3, undefined)).toBeNull();
  });
});

describe('effectiveLimit', () => {
  it('shows the plan bound on the tenant row that sets none, not "inherited"', () => {
    expect(effectiveLimit('tenant', {}, { requestsPerMinute: 100 }, 'requestsPerMinute')).toEqual({
      value: 100,
      source: 'plan',
    });
    expect(effectiveLimit('tenant', {}, { requestsPerMinute: 100 }, 'tokensPerMinute')).toEqual({
      source: 'unbounded',
    });
  });
  it("prefers the row's own value; other levels without one inherit", () => {
    expect(
      effectiveLimit('tenant', { requestsPerMinute: 50 }, { requestsPerMinute: 100 }, 'requestsPerMinute'),
    ).toEqual({ value: 50, source: 'own' });
    expect(effectiveLimit('key', {}, { requestsPerMinute: 100 }, 'requestsPerMinute')).toEqual({ source: 'inherit' });
  });
});
