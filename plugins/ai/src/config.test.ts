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

  it('suggests the near name of a misspelt reference, and none when nothing is near', () => {
    const got = issues({
      providers: { openai: { apiKey: 'k' }, opnai2: { apiKey: 'k' } },
      models: {
        fast: { deployments: [{ provider: 'opneai', model: 'm' }], fallbacks: ['slwo', 'zzzzzzzz'] },
        slow: { deployments: [{ provider: 'anthropic-eu', model: 'm' }] },
      },
    });
    assert.ok(
      got.includes(
        'models.fast.deployments.0.provider: unknown provider "opneai"; define it under providers (have: openai, opnai2); did you mean "openai"?',
      ),
      got.join('\n'),
    );
    assert.ok(
      got.includes('models.fast.fallbacks.0: "slwo" is not another alias under models; did you mean "slow"?'),
      got.join('\n'),
    );
    assert.ok(got.includes('models.fast.fallbacks.1: "zzzzzzzz" is not another alias under models'), got.join('\n'));
    assert.ok(
      got.some(
        (g) =>
          g.startsWith(
            'models.slow.deployments.0.provider: unknown provider "anthropic-eu"; define it under providers (have: openai, opnai2)',
          ) && !g.includes('did you mean'),
      ),
      got.join('\n'),
    );
    assert.ok(
      got.some((g) => /^providers\.opnai2\.type: set type to one of .*; did you mean "openai"\?$/.test(g)),
      got.join('\n'),
    );
  });

  it('checks the references of what parsed while other entries have schema problems', () => {
    const got = issues({
      providers: { openai: { apiKey: 'k', timeouts: { totalMs: -1 } } },
      models: {
        broken: { deployments: [{ model: 'no provider' }], strategy: 'fastest' },
        fast: { deployments: [{ provider: 'opneai', model: 'm' }], fallbacks: ['brokn'] },
      },
    });
    for (const expected of [
      'providers.openai.timeouts.totalMs',
      'models.broken.deployments.0.provider',
      'models.broken.strategy',
      'models.fast.deployments.0.provider',
    ])
      assert.ok(
        got.some((g) => g.startsWith(`${expected}:`)),
        `${expected} in ${JSON.stringify(got)}`,
      );
    // "broken" is an alias even though its own entry is invalid: a fallback to its near name points at it.
    assert.ok(
      got.includes('models.fast.fallbacks.0: "brokn" is not another alias under models; did you mean "broken"?'),
      got.join('\n'),
    );
    assert.equal(got.length, 5, got.join('\n'));
  });

  it('rejects unknown keys', () => {
    assert.ok(issues({ retries: {} }).length > 0);
    assert.ok(issues({ providers: { openai: { apikey: 'x' } } }).length > 0);
  });
});
