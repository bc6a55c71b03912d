import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderHooks, type BoundHook } from './orderHooks';
import type { HookDefinition } from './types';

const hook = (plugin: string, extra: Partial<HookDefinition> = {}): BoundHook => ({
  plugin,
  id: `${plugin}:${extra.name ?? 'request.limit'}`,
  hook: { phase: 'request.limit', handle: async () => {}, ...extra } as HookDefinition,
});

const ids = (hooks: BoundHook[]) => orderHooks(hooks, {}).byPhase.get('request.limit')!.map((h) => h.plugin);

describe('orderHooks', () => {
  it('orders by `order`, then plugin name', () => {
    assert.deepEqual(ids([hook('c'), hook('b', { order: -1 }), hook('a')]), ['b', 'a', 'c']);
  });

  it('applies before/after constraints over order', () => {
    // c sorts first by order, but must wait for b; b must precede a.
    assert.deepEqual(ids([hook('a'), hook('b', { before: ['a'] }), hook('c', { after: ['b'], order: -5 })]), ['b', 'c', 'a']);
  });

  it('lets the operator override the order per phase', () => {
    const { byPhase, problems } = orderHooks([hook('a'), hook('b'), hook('c')], { 'request.limit': ['c', 'a'] });
    assert.deepEqual(problems, []);
    assert.deepEqual(byPhase.get('request.limit')!.map((h) => h.plugin), ['c', 'a', 'b']);
  });

  it('reports constraint cycles and overrides naming unknown plugins', () => {
    const { problems } = orderHooks([hook('a', { before: ['b'] }), hook('b', { before: ['a'] })], { 'request.limit': ['zzz'] });
    assert.equal(problems.length, 2);
    assert.ok(problems.every((p) => p.code === 'AIHUB_E_PIPELINE_INVALID'));
  });
});
