import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretKey, maskSecrets } from './audit';

describe('audit secret masking', () => {
  it('masks secret-named keys at any depth and keeps the rest', () => {
    const masked = maskSecrets({
      name: 'n',
      password: 'p',
      client_secret: 'c',
      token: 't',
      accessToken: 'a',
      key_hash: 'k',
      passwordHash: 'h',
      key: 'ahk_full',
      nested: [{ refresh_token: 'r', ok: 1 }, { deep: { secretValue: 's', when: new Date(0) } }],
      limits: { tokensPerMinute: 10, maxTokens: 5 },
      totalTokens: 3,
      emptySecret: null,
    });
    assert.deepEqual(masked, {
      name: 'n',
      password: '***',
      client_secret: '***',
      token: '***',
      accessToken: '***',
      key_hash: '***',
      passwordHash: '***',
      key: '***',
      nested: [{ refresh_token: '***', ok: 1 }, { deep: { secretValue: '***', when: '1970-01-01T00:00:00.000Z' } }],
      limits: { tokensPerMinute: 10, maxTokens: 5 },
      totalTokens: 3,
      emptySecret: null,
    });
  });

  it('does not modify its input and survives cycles of depth', () => {
    const input = { password: 'p' };
    maskSecrets(input);
    assert.equal(input.password, 'p');
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 100; i++) deep = { d: deep };
    assert.doesNotThrow(() => JSON.stringify(maskSecrets(deep)));
  });

  it('recognizes secret key names', () => {
    for (const k of ['secret', 'apiKey', 'api_key', 'Authorization', 'privateKey', 'hash', 'id_token'])
      assert.ok(isSecretKey(k), k);
    for (const k of ['name', 'keyId', 'key_id', 'tokensPerMinute', 'promptTokens', 'email'])
      assert.ok(!isSecretKey(k), k);
  });
});
