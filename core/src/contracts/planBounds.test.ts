import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from 'koa';
import { GatewayError } from '../errors/GatewayError';
import { PrincipalKey, type Principal } from './index';
import { assertWithinPlan, combineBounds, planExcess } from './planBounds';

const request = (principal: Partial<Principal>): Context => {
  const c = { state: {} } as unknown as Context;
  PrincipalKey.set(c, {
    kind: 'api_key',
    subject: 'k',
    tenantId: 't',
    scopes: ['admin:write'],
    role: 'admin',
    ...principal,
  } as Principal);
  return c;
};

describe('plan bounds', () => {
  it('combines sources field by field, the lowest bound winning; absent stays unbounded', () => {
    const b = combineBounds(
      { limits: { requestsPerMinute: 60 }, budgets: { dailyHardMicros: 10 } },
      { limits: { requestsPerMinute: 100, tokensPerMinute: 5 } },
      undefined,
    );
    assert.deepEqual(b, { limits: { requestsPerMinute: 60, tokensPerMinute: 5 }, budgets: { dailyHardMicros: 10 } });
    assert.deepEqual(combineBounds(), { limits: {}, budgets: {} });
  });

  it('lists every value above its bound, and nothing at or under it', () => {
    const bounds = combineBounds({ limits: { requestsPerMinute: 60 }, budgets: { dailyHardMicros: 10 } });
    assert.deepEqual(
      planExcess(
        { limits: { requestsPerMinute: 60 }, budgets: { dailyHardMicros: 10, monthlyHardMicros: 1e12 } },
        bounds,
      ),
      [],
    );
    assert.deepEqual(planExcess({ limits: { requestsPerMinute: 61 }, budgets: { dailyHardMicros: 11 } }, bounds), [
      { field: 'limits.requestsPerMinute', value: 61, bound: 60 },
      { field: 'budgets.dailyHardMicros', value: 11, bound: 10 },
    ]);
  });

  it('refuses a tenant admin with 400 exceeds_plan naming the field as the caller wrote it; lets a superadmin through', () => {
    const bounds = combineBounds({ budgets: { dailyHardMicros: 10 } });
    const values = { budgets: { dailyHardMicros: 999 } };
    try {
      assertWithinPlan(request({}), values, bounds, 'free', () => 'daily_hard_micros');
      assert.fail('not refused');
    } catch (err) {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'exceeds_plan');
      assert.equal(err.param, 'daily_hard_micros');
      assert.match(err.message, /daily_hard_micros is 999, above the bound of 10 in plan "free"/);
    }
    assert.doesNotThrow(() => assertWithinPlan(request({ superadmin: true }), values, bounds, 'free'));
  });
});
