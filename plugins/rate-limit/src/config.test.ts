import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestGateway } from '@aihub/core/testing';
import rateLimit from './index';
import { rateLimitConfig } from './config';

describe('rate-limit config', () => {
  it('has working defaults (nothing limited until configured)', () => {
    const c = rateLimitConfig.parse({});
    assert.deepEqual(c.defaults, {});
    assert.equal(c.failMode, 'open');
    assert.deepEqual(c.tags, ['ai']);
    assert.equal(c.windowSeconds, 60);
    assert.equal(c.tokens.defaultCompletionTokens, 1024);
  });

  it('rejects typos and impossible values at start, naming the path', async () => {
    await assert.rejects(
      startTestGateway({
        plugins: [rateLimit],
        pluginConfig: { 'rate-limit': { defaults: { requestPerMinute: 5 }, models: { m: { tokensPerMinute: -1 } } } },
      }),
      (err: Error) =>
        /plugins\[0\]\.config\.defaults\.requestPerMinute/.test(err.message) &&
        /plugins\[0\]\.config\.models\.m\.tokensPerMinute/.test(err.message),
    );
  });
});
