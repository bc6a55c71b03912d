import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BudgetSettings } from '@aihub/core/plugin-api';
import type { BudgetOverrides } from './BudgetOverrides';
import { BudgetResolver } from './BudgetResolver';

/** Overrides as the admin API left them (the real class loads these from its table). */
function overridesOf(entries: Record<string, BudgetSettings>): BudgetOverrides {
  return {
    get: (tenantId: string, level: string, targetId: string) =>
      entries[`${tenantId}/${level}/${targetId}`] ? { budget: entries[`${tenantId}/${level}/${targetId}`] } : undefined,
  } as unknown as BudgetOverrides;
}

const plans: Record<string, BudgetSettings> = { free: { dailyHardMicros: 1000 } };

describe('BudgetResolver (field by field: override, settings, defaults capped by the plan, plan)', () => {
  it('an empty override inherits the settings budget instead of lifting it', () => {
    const r = new BudgetResolver(overridesOf({ 't/tenant/t': {} }), undefined);
    const [tenant] = r.resolve('t', null, null, { dailyHardMicros: 5 }, undefined, plans.free);
    assert.deepEqual([tenant.source, tenant.budget], ['settings', { dailyHardMicros: 5 }]);
  });

  it('a partial override keeps the fields it leaves out from settings and the plan', () => {
    const r = new BudgetResolver(overridesOf({ 't/tenant/t': { monthlyHardMicros: 50 } }), undefined);
    const [tenant] = r.resolve('t', null, null, { dailySoftMicros: 3 }, undefined, plans.free);
    assert.equal(tenant.source, 'override');
    assert.deepEqual(tenant.budget, { monthlyHardMicros: 50, dailySoftMicros: 3, dailyHardMicros: 1000 });
  });

  it('with nothing set the plan bound applies; config defaults above it are capped, below it kept', () => {
    const none = new BudgetResolver(overridesOf({}), undefined);
    assert.deepEqual(
      none.resolve('t', null, null, undefined, undefined, plans.free).map((x) => [x.source, x.budget]),
      [['plan', { dailyHardMicros: 1000 }]],
    );
    assert.deepEqual(
      none.resolve('t2', null, null, undefined, undefined, {}),
      [],
      'an unbounded plan and nothing set: no budget',
    );
    const high = new BudgetResolver(overridesOf({}), { dailyHardMicros: 9999, monthlyHardMicros: 7 });
    assert.deepEqual(high.resolve('t', null, null, undefined, undefined, plans.free)[0].budget, {
      dailyHardMicros: 1000,
      monthlyHardMicros: 7,
    });
  });

  it('a key override inherits the key’s own budget; the team level has no plan fallback', () => {
    const r = new BudgetResolver(overridesOf({ 't/key/k': {} }), undefined);
    const targets = r.resolve('t', 'g', 'k', undefined, { dailyHardMicros: 2 });
    assert.deepEqual(
      targets.map((x) => [x.level, x.budget]),
      [['key', { dailyHardMicros: 2 }]],
    );
  });
});
