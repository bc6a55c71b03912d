import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderHooks, type BoundHook } from './orderHooks';
import type { HookDefinition } from './types';

const hook = (plugin: string, extra: Partial<HookDefinition> = {}): BoundHook => ({
  plugin,
  id: `${plugin}:${extra.name ?? 'request.limit'}`,
  hook: { phase: 'request.limit', handle: async () => {}, ...extra } as HookDefinition,
});

const ids = (hooks: BoundHook[]) =>
  orderHooks(hooks, {})
    .byPhase.get('request.limit')!
    .map((h) => h.plugin);

describe('orderHooks', () => {
  it('orders by `order`, then plugin name', () => {
    assert.deepEqual(ids([hook('c'), hook('b', { order: -1 }), hook('a')]), ['b', 'a', 'c']);
  });

  it('applies before/after constraints over order', () => {
    // c sorts first by order, but must wait for b; b must precede a.
    assert.deepEqual(ids([hook('a'), hook('b', { before: ['a'] }), hook('c', { after: ['b'], order: -5 })]), [
      'b',
      'c',
      'a',
    ]);
  });

  it('lets the operator override the order per phase', () => {
    const { byPhase, problems } = orderHooks([hook('a'), hook('b'), hook('c')], { 'request.limit': ['c', 'a'] });
    assert.deepEqual(problems, []);
    assert.deepEqual(
      byPhase.get('request.limit')!.map((h) => h.plugin),
      ['c', 'a', 'b'],
    );
  });

  it("the operator's order wins over a plugin's own before/after (README: request.limit: [usage, rate-limit])", () => {
    // usage declares after: ['rate-limit'] in request.limit; the operator asked for usage first.
    const hooks = [hook('rate-limit'), hook('usage', { after: ['rate-limit'] }), hook('budgets', { after: ['usage'] })];
    const { byPhase, problems } = orderHooks(hooks, { 'request.limit': ['usage', 'rate-limit'] });
    assert.deepEqual(problems, []);
    // budgets was not listed: its own constraint (after usage) still holds.
    assert.deepEqual(
      byPhase.get('request.limit')!.map((h) => h.plugin),
      ['usage', 'rate-limit', 'budgets'],
    );
  });

  it('a constraint with an unlisted hook cannot reorder the listed ones', () => {
    // x must run before b and after a; the operator listed b before a: no order satisfies both.
    const hooks = [hook('a'), hook('b'), hook('x', { after: ['a'], before: ['b'] })];
    const { problems } = orderHooks(hooks, { 'request.limit': ['b', 'a'] });
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /conflict with the order in pipeline.order.request.limit; list all of them/);
  });

  it('settles a before/after cycle when the operator lists the hooks', () => {
    const { byPhase, problems } = orderHooks([hook('a', { before: ['b'] }), hook('b', { before: ['a'] })], {
      'request.limit': ['b', 'a'],
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(
      byPhase.get('request.limit')!.map((h) => h.plugin),
      ['b', 'a'],
    );
  });

  it('reports constraint cycles and overrides naming unknown plugins', () => {
    const { problems } = orderHooks([hook('a', { before: ['b'] }), hook('b', { before: ['a'] })], {
      'request.limit': ['zzz'],
    });
    assert.equal(problems.length, 2);
    assert.ok(problems.every((p) => p.code === 'AIHUB_E_PIPELINE_INVALID'));
  });
});
