import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestGateway } from '@aihub/core/testing';
import cache from './index';
import { cacheConfig } from './config';

describe('cache config', () => {
  it('has safe defaults: deterministic chats, embeddings always, 1 h TTL, bounded L1', () => {
    const c = cacheConfig.parse({});
    assert.equal(c.mode, 'deterministic');
    assert.equal(c.routes['/v1/embeddings']?.mode, 'always');
    assert.equal(c.ttlSeconds, 3600);
    assert.equal(c.l1.maxBytes, 64 * 1024 * 1024);
    assert.equal(cacheConfig.parse({ l1: { maxBytes: '8mb' } }).l1.maxBytes, 8 * 1024 * 1024);
  });

  it('rejects unknown keys and routes at start, naming the path', async () => {
    await assert.rejects(
      startTestGateway({ plugins: [cache], pluginConfig: { cache: { ttl: 5, routes: { '/v1/completions': {} } } } }),
      (err: Error) => /plugins\[0\]\.config\.ttl\b/.test(err.message) && /routes/.test(err.message),
    );
  });
});
