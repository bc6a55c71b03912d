import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aiConfig } from '../config';
import { murmur3, unitHash } from './hash';
import { DeploymentBreaker } from './breaker';
import type { Experiment, ModelRoute, RouteEntry } from './catalog';
import { assignVariant, plan } from './select';

const breakerOff = aiConfig.parse({}).breaker;
function entry(id: string, weight: number, price: number | null = null, latencyMs = 0): RouteEntry {
  return {
    dep: {
      id,
      provider: {} as never,
      model: id,
      breaker: new DeploymentBreaker(id, { ...breakerOff, enabled: false }, () => {}),
      latencyMs,
    },
    weight,
    price: price === null ? null : { input: price, output: price, cachedInput: price, source: 'config' },
  };
}
const route = (strategy: ModelRoute['strategy'], entries: RouteEntry[], fallbacks: ModelRoute[] = []): ModelRoute => ({
  alias: 'a',
  strategy,
  entries,
  totalWeight: entries.reduce((s, e) => s + e.weight, 0),
  fallbacks,
});

describe('routing plans', () => {
  it('weighted: first pick by weight, the rest by weight as fallbacks', () => {
    const r = route('weighted', [entry('a', 1), entry('b', 0), entry('c', 2)]);
    const firsts: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      const p = plan(r);
      assert.equal(p.length, 3);
      firsts[p[0].dep.id] = (firsts[p[0].dep.id] ?? 0) + 1;
    }
    assert.equal(firsts.b, undefined, 'weight 0 is never first');
    assert.ok(firsts.c > 1800 && firsts.c < 2200, JSON.stringify(firsts));
  });

  it('cheapest and least-latency orders; unpriced last; fallbacks appended once', () => {
    assert.deepEqual(
      plan(route('cheapest', [entry('x', 1, null), entry('y', 1, 5), entry('z', 1, 1)])).map((e) => e.dep.id),
      ['z', 'y', 'x'],
    );
    assert.deepEqual(
      plan(route('least-latency', [entry('s', 1, null, 50), entry('f', 1, null, 5), entry('n', 1, null, 0)])).map(
        (e) => e.dep.id,
      ),
      ['n', 'f', 's'],
    );
    const shared = entry('shared', 1);
    const fb = route('weighted', [shared, entry('other', 1)]);
    const ids = plan(route('weighted', [shared], [fb])).map((e) => e.dep.id);
    assert.deepEqual(ids, ['shared', 'other']);
  });
});

describe('sticky experiment assignment', () => {
  const exp: Experiment = {
    name: 'e',
    alias: 'a',
    enabled: true,
    stickyBy: 'user',
    variants: [
      { name: 'one', weight: 1, route: route('weighted', [entry('1', 1)]) },
      { name: 'two', weight: 3, route: route('weighted', [entry('2', 1)]) },
    ],
    totalWeight: 4,
  };

  it('is stable per subject and follows the weights', () => {
    for (let i = 0; i < 50; i++) assert.equal(assignVariant(exp, `u${i}`).name, assignVariant(exp, `u${i}`).name);
    let two = 0;
    for (let i = 0; i < 4000; i++) if (assignVariant(exp, `user-${i}`).name === 'two') two++;
    assert.ok(two > 2800 && two < 3200, String(two));
    assert.equal(assignVariant({ ...exp, enabled: false }, 'anyone').name, 'one');
  });

  it('murmur3 matches the reference values', () => {
    assert.equal(murmur3(''), 0);
    assert.equal(murmur3('', 1), 0x514e28b7);
    assert.equal(murmur3('a'), murmur3('a'));
    assert.notEqual(murmur3('ab'), murmur3('ba'));
    const u = unitHash('exp', 'subject');
    assert.ok(u >= 0 && u < 1);
  });
});
