import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError, retryAfterMs, scrub, toClientError } from './errors';

describe('upstream errors', () => {
  it('scrubs configured secrets, key-like strings and credentials in URLs', () => {
    const s = scrub(
      'key sk-abc123def456 and Bearer eyJhbGciOi.x.y at https://u:p4ss@h/x?api-key=zzz&b=1 with MYSECRET',
      ['MYSECRET'],
    );
    assert.equal(
      s,
      'key [redacted] and Bearer [redacted] at https://u:[redacted]@h/x?api-key=[redacted]&b=1 with [redacted]',
    );
    assert.equal(scrub('Incorrect API key provided: sk-wron***3456.', []), 'Incorrect API key provided: [redacted].');
  });

  it('reads Retry-After in seconds, as a date, and retry-after-ms', () => {
    assert.equal(retryAfterMs({ 'retry-after': '3' }), 3000);
    assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '3' }), 250);
    assert.equal(
      retryAfterMs({ 'retry-after': new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString() }, Date.UTC(2030, 0, 1)),
      10_000,
    );
    assert.equal(retryAfterMs({}), undefined);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }), undefined);
  });

  it('classifies statuses: retryable, fallback, client errors', () => {
    const e = (status: number) => new UpstreamError('status', 'x', 'd', { status });
    assert.deepEqual(
      [429, 500, 503, 408].map((s) => e(s).retryable),
      [true, true, true, true],
    );
    assert.deepEqual(
      [400, 413, 422].map((s) => e(s).isClientError),
      [true, true, true],
    );
    assert.deepEqual(
      [401, 403, 404, 429, 500].map((s) => e(s).isClientError),
      [false, false, false, false, false],
    );
    assert.equal(e(401).fallbackable, true);
    assert.equal(e(400).fallbackable, false);
    assert.equal(new UpstreamError('cancelled', 'x', 'd').fallbackable, false);
  });

  it('maps to OpenAI statuses and codes for the client', () => {
    assert.equal(toClientError(new UpstreamError('timeout', 'x', 'd'), 'm').status, 504);
    const rl = toClientError(new UpstreamError('status', 'x', 'd', { status: 429, retryAfterMs: 1500 }), 'm');
    assert.deepEqual([rl.status, rl.type, rl.headers?.['retry-after']], [429, 'rate_limit_error', '2']);
    const bad = toClientError(
      new UpstreamError('status', 'x', 'd', {
        status: 400,
        body: { message: 'bad temp', param: 'temperature', code: 'invalid_value' },
      }),
      'm',
    );
    assert.deepEqual([bad.status, bad.param, bad.code, bad.message], [400, 'temperature', 'invalid_value', 'bad temp']);
    assert.equal(
      toClientError(new UpstreamError('status', 'x', 'd', { status: 401 }), 'm').code,
      'upstream_auth_failed',
    );
    assert.equal(toClientError(new UpstreamError('status', 'x', 'd', { status: 503 }), 'm').status, 502);
  });
});
