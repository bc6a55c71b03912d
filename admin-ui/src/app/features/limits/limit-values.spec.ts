import { toLimitBody, usageShare } from './limit-values';

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
