import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Backend, type Stack } from './harness';

interface ModelList {
  object: string;
  data: {
    id: string;
    object: string;
    owned_by: string;
    pricing?: { currency: string; unit: string; input: number; output: number; cached_input: number } | null;
  }[];
}

/**
 * The ai plugin's 2026-12-01 change, through real HTTP on both versions: `/v1/models` objects carry
 * `pricing` at the current version and look as before at 2026-06-01 (announced as deprecated).
 */
export function versionsSuite(backend: Backend): void {
  describe(`/v1/models on both API versions (${backend})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({
        backend,
        ai: {
          requireAuth: false,
          models: {
            priced: {
              deployments: [
                { provider: 'up', model: 'priced-model', priceOverride: { input: 2.5, output: 10, cachedInput: 1.25 } },
              ],
            },
            unpriced: { deployments: [{ provider: 'up', model: 'no-such-list-price-model' }] },
          },
        },
      });
    });
    after(() => stack.stop());

    it('2026-12-01 (current): each model carries its list price, null when unknown', async () => {
      const res = await stack.fetch('/v1/models');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('aihub-version'), '2026-12-01');
      assert.equal(res.headers.get('deprecation'), null);
      const body = (await res.json()) as ModelList;
      const priced = body.data.find((m) => m.id === 'priced')!;
      assert.deepEqual(priced.pricing, {
        currency: 'USD',
        unit: 'per_million_tokens',
        input: 2.5,
        output: 10,
        cached_input: 1.25,
      });
      assert.equal(body.data.find((m) => m.id === 'unpriced')!.pricing, null);

      const one = await stack.fetch('/v1/models/priced');
      assert.equal(((await one.json()) as ModelList['data'][number]).pricing?.output, 10);
    });

    it('2026-06-01: the same answers without pricing, with Deprecation and Sunset', async () => {
      const res = await stack.fetch('/v1/models', { headers: { 'AIHub-Version': '2026-06-01' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('aihub-version'), '2026-06-01');
      assert.match(res.headers.get('deprecation') ?? '', /^@\d+$/);
      assert.ok(res.headers.get('sunset'));
      const body = (await res.json()) as ModelList;
      assert.equal(body.object, 'list');
      assert.ok(body.data.length >= 2);
      for (const m of body.data) {
        assert.equal('pricing' in m, false, `${m.id} still has pricing`);
        assert.equal(m.object, 'model');
        assert.equal(m.owned_by, 'aihub');
      }
      const one = await stack.fetch('/v1/models/priced', { headers: { 'AIHub-Version': '2026-06-01' } });
      const model = (await one.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(model).sort(), ['created', 'id', 'object', 'owned_by']);
    });

    it('the changelog names the ai plugin’s change', async () => {
      const res = await stack.fetch('/admin/v1/versions');
      const body = (await res.json()) as { data: { id: string; changes: { plugin: string; description: string }[] }[] };
      const current = body.data.find((v) => v.id === '2026-12-01')!;
      assert.ok(current.changes.some((c) => c.plugin === 'ai' && c.description.includes('pricing')));
    });
  });
}
