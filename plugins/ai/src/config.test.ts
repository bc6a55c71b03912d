import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aiConfig } from './config';

const issues = (cfg: unknown) => {
  const r = aiConfig.safeParse(cfg);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('ai config', () => {
  it('defaults to the in-process mock with two aliases', () => {
    const c = aiConfig.parse({});
    assert.deepEqual(Object.keys(c.providers), ['mock']);
    assert.deepEqual(Object.keys(c.models), ['gpt-4o-mini', 'text-embedding-3-small']);
    assert.equal(c.requireAuth, true);
  });

  it('reports cross-reference mistakes with their paths', () => {
    const got = issues({
      providers: { az: { type: 'azure-openai' }, weird: {} },
      models: { a: { deployments: [{ provider: 'nope', model: 'm' }], fallbacks: ['a', 'zz'] } },
      experiments: [
        {
          name: 'e',
          alias: 'x',
          variants: [
            { name: 'v', model: 'missing' },
            { name: 'w', weight: 0, deployments: [{ provider: 'az', model: 'd' }] },
          ],
        },
        { name: 'e', alias: 'x', variants: [{ name: 'v', model: 'a', deployments: [{ provider: 'az', model: 'd' }] }] },
      ],
    });
    for (const expected of [
      'providers.az.baseUrl',
      'providers.weird.type',
      'models.a.deployments.0.provider',
      'models.a.fallbacks.0',
      'models.a.fallbacks.1',
      'experiments.0.variants.0.model',
      'experiments.1.name',
      'experiments.1.alias',
      'experiments.1.variants.0',
    ]) {
      assert.ok(
        got.some((g) => g.startsWith(`${expected}:`)),
        `${expected} in ${JSON.stringify(got)}`,
      );
    }
  });

  it('rejects unknown keys', () => {
    assert.ok(issues({ retries: {} }).length > 0);
    assert.ok(issues({ providers: { openai: { apikey: 'x' } } }).length > 0);
  });
});
