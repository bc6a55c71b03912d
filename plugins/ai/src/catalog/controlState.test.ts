import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpClient } from '@aihub/core/testing';
import { aiConfig } from '../config';
import { Catalog } from '../routing/catalog';
import { applyControl } from './controlState';
import { CredentialSealer } from './crypto';
import { diffOverlays, emptyOverlay, mergeOverlay } from './overlay';

const file = aiConfig.parse({
  providers: { mock: { type: 'mock' } },
  models: {
    a: {
      deployments: [
        { provider: 'mock', model: 'one', weight: 2 },
        { provider: 'mock', model: 'two', weight: 1 },
      ],
      fallbacks: ['b'],
    },
    b: { deployments: [{ provider: 'mock', model: 'three' }] },
  },
});
const sealer = new CredentialSealer(file.catalog);

describe('catalog control section', () => {
  it('is validated with the rest of the overlay: a bad value is refused with its path', () => {
    const overlay = emptyOverlay();
    (overlay.control.breakers as Record<string, string>)['mock/one'] = 'half';
    overlay.control.weights.a = { 'mock/two': -1 };
    const merged = mergeOverlay(file, overlay, sealer);
    assert.equal(merged.ok, false);
    const paths = merged.ok ? [] : merged.issues.map((i) => i.path);
    assert.ok(paths.includes('control.breakers.mock/one'), paths.join(', '));
    assert.ok(paths.includes('control.weights.a.mock/two'), paths.join(', '));
    const good = emptyOverlay();
    good.control.drained['gone/deployment'] = { reason: 'kept though unknown', at: '2026-01-01T00:00:00Z' };
    assert.equal(mergeOverlay(file, good, sealer).ok, true, 'an entry naming no current deployment is kept');
  });

  it('diffs item by item under section control', () => {
    const before = emptyOverlay();
    before.control.drained['mock/one'] = { reason: 'r1', at: 't1' };
    before.control.weights.a = { 'mock/two': 5 };
    const after = structuredClone(before);
    delete after.control.drained['mock/one'];
    after.control.weights.a['mock/two'] = 0;
    after.control.fallbackFirst.a = true;
    assert.deepEqual(diffOverlays(before, after), [
      { section: 'control', name: 'drain/mock/one', op: 'remove', before: { reason: 'r1', at: 't1' }, after: null },
      { section: 'control', name: 'fallback/a', op: 'add', before: null, after: true },
      { section: 'control', name: 'weight/a/mock/two', op: 'change', before: 5, after: 0 },
    ]);
  });

  it('is applied to a built catalog, and a rebuild without it clears what it set (deployments are shared)', () => {
    const http = createHttpClient();
    const forced: string[] = [];
    const onForced = (d: { id: string }, s: string | null) => forced.push(`${d.id}:${s}`);
    const first = new Catalog(file, http, () => {});
    const control = emptyOverlay().control;
    control.drained['mock/one'] = { reason: 'r', at: 't' };
    control.breakers['mock/three'] = 'open';
    control.fallbackFirst.a = true;
    control.fallbackFirst.b = true;
    control.weights.a = { 'mock/two': 7 };
    applyControl(first, control, onForced);
    const a = first.routes.get('a')!;
    assert.deepEqual(first.deployments.get('mock/one')!.drained, { reason: 'r', at: 't' });
    assert.equal(first.deployments.get('mock/three')!.breaker.available(), false);
    assert.equal(a.fallbackFirst, true);
    assert.equal(first.routes.get('b')!.fallbackFirst, false, 'an alias without fallbacks is never switched');
    assert.deepEqual(
      a.entries.map((e) => e.weight),
      [2, 7],
    );
    assert.equal(a.totalWeight, 9);

    const second = new Catalog(file, http, () => {}, first);
    assert.equal(second.deployments.get('mock/one'), first.deployments.get('mock/one'), 'the deployment is reused');
    applyControl(second, emptyOverlay().control, onForced);
    assert.equal(second.deployments.get('mock/one')!.drained, undefined);
    assert.equal(second.deployments.get('mock/three')!.breaker.forced, null);
    assert.deepEqual(
      second.routes.get('a')!.entries.map((e) => e.weight),
      [2, 1],
    );
    assert.equal(second.routes.get('a')!.fallbackFirst, false);
    assert.deepEqual(forced, ['mock/three:open', 'mock/three:null']);
  });
});
