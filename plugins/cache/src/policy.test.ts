import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheConfig } from './config';
import { decide } from './policy';

const config = cacheConfig.parse({
  ttlSeconds: 100,
  models: { secret: { mode: 'off' }, loose: { mode: 'always', ttlSeconds: 5 } },
});
const none = { aihub: undefined, cacheControl: undefined };
const chat = '/v1/chat/completions' as const;

describe('cache policy', () => {
  it('caches temperature 0 only by default, not an absent temperature or a seed', () => {
    assert.deepEqual(decide(config, chat, 'm', { temperature: 0 }, undefined, none), {
      read: true,
      write: true,
      ttlMs: 100_000,
    });
    assert.equal(decide(config, chat, 'm', {}, undefined, none), undefined);
    assert.equal(decide(config, chat, 'm', { seed: 3 }, undefined, none), undefined);
    assert.equal(decide(config, chat, 'm', { temperature: 0.2 }, undefined, none), undefined);
  });

  it('always caches embeddings (route default) and models set to always', () => {
    assert.ok(decide(config, '/v1/embeddings', 'e', {}, undefined, none));
    assert.deepEqual(decide(config, chat, 'loose', { temperature: 1 }, undefined, none), {
      read: true,
      write: true,
      ttlMs: 5000,
    });
  });

  it('applies the request directives and tenant settings in their order of precedence', () => {
    assert.equal(
      decide(config, chat, 'm', { temperature: 0 }, undefined, { aihub: 'bypass', cacheControl: undefined }),
      undefined,
    );
    assert.equal(
      decide(config, chat, 'm', { temperature: 0 }, undefined, { aihub: undefined, cacheControl: 'private, no-store' }),
      undefined,
    );
    assert.deepEqual(
      decide(config, chat, 'm', { temperature: 0 }, undefined, { aihub: undefined, cacheControl: 'no-cache' }),
      { read: false, write: true, ttlMs: 100_000 },
    );
    assert.ok(decide(config, chat, 'm', { temperature: 1 }, undefined, { aihub: 'FORCE', cacheControl: undefined }));
    assert.equal(
      decide(config, chat, 'secret', { temperature: 0 }, undefined, { aihub: 'force', cacheControl: undefined }),
      undefined,
      "the operator's off beats force",
    );
    assert.equal(
      decide(config, chat, 'm', { temperature: 0 }, { enabled: false }, { aihub: 'force', cacheControl: undefined }),
      undefined,
      'tenant opt-out beats force',
    );
    assert.deepEqual(decide(config, chat, 'm', { temperature: 1 }, { enabled: true, ttlSeconds: 7 }, none), {
      read: true,
      write: true,
      ttlMs: 7000,
    });
  });
});
