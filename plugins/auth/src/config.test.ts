import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authConfig } from './config';

test('defaults, and empty strings from ${VAR:-} read as unset', () => {
  const cfg = authConfig.parse({
    keySecret: '',
    issuer: '',
    audience: '',
    bootstrap: { adminKey: '', adminEmail: '' },
  });
  assert.equal(cfg.keySecret, undefined);
  assert.equal(cfg.issuer, undefined);
  assert.equal(cfg.bootstrap.adminKey, undefined);
  assert.equal(cfg.apiKeys.cacheTtlMs, 30_000);
  assert.equal(cfg.oauth.signingAlg, 'RS256');
  assert.deepEqual(cfg.apiKeys.defaultScopes, ['ai:invoke']);
});

test('bad values are refused with a reason', () => {
  for (const bad of [
    { keySecret: 'short' },
    { issuer: 'http://x/' },
    { issuer: 'not a url' },
    { bootstrap: { adminKey: 'sk-1' } },
    { apiKeys: { cacheTtlMs: 60_000 } },
    { oauth: { signingAlg: 'HS256' } },
    { unknown: 1 },
  ]) {
    assert.equal(authConfig.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
