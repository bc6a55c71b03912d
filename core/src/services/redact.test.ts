import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactProviderText, redactSecrets } from './redact';

describe('redaction of provider texts and secrets (issue 13 finding 12)', () => {
  it('removes key fragments providers echo in auth errors, and upstream addresses, and cuts long texts', () => {
    const openai = redactProviderText(
      'deployment answered HTTP 401: Incorrect API key provided: sk-proj-AbCd1234EfGh. See https://platform.openai.com/account/api-keys.',
    );
    assert.doesNotMatch(openai, /AbCd1234EfGh|platform\.openai\.com/);
    assert.match(openai, /HTTP 401/);
    assert.equal(
      redactProviderText('azure-1 connection failed (ECONNREFUSED): connect ECONNREFUSED 10.20.30.40:8443'),
      'azure-1 connection failed (ECONNREFUSED): connect ECONNREFUSED [upstream]',
    );
    assert.doesNotMatch(redactProviderText('getaddrinfo ENOTFOUND my-resource.openai.azure.com:443'), /my-resource/);
    assert.equal(redactProviderText('x'.repeat(500)).length, 201);
    // Model names with dots are not hosts.
    assert.match(redactProviderText('model gpt-3.5-turbo is overloaded'), /gpt-3\.5-turbo/);
  });

  it('keeps the id of an AI Hub key and drops its secret; drops JWTs, bearer values and api-key values', () => {
    assert.equal(redactSecrets('ahk_abc123def456_' + 'Z'.repeat(40)), 'ahk_abc123def456_[redacted]');
    assert.doesNotMatch(redactSecrets('Authorization: Bearer opaque-token-123456'), /opaque-token/);
    assert.doesNotMatch(redactSecrets('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl'), /eyJzdWIi/);
    assert.doesNotMatch(redactSecrets('invalid x-api-key: qwerty-98765'), /qwerty/);
  });
});
