import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalCdf, twoProportionZ } from './significance';

test('normalCdf matches known quantiles', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(-1.644854) - 0.05) < 1e-6);
});

test('two-proportion z-test: a textbook case (10/100 vs 25/100)', () => {
  const r = twoProportionZ('a', 10, 100, 25, 100);
  // pooled 0.175, se = sqrt(0.175*0.825*0.02) = 0.053735; z = 0.15/0.053735 = 2.7915
  assert.ok(Math.abs(r.z! - 2.7915) < 1e-3, String(r.z));
  assert.ok(Math.abs(r.p_value! - 0.00525) < 2e-4, String(r.p_value));
  assert.equal(r.significant, true);
  assert.equal(r.test, 'two_proportion_z');
  assert.equal(r.baseline, 'a');
});

test('two-proportion z-test: equal rates are not significant; no data or no variance gives null', () => {
  const same = twoProportionZ('a', 5, 50, 5, 50);
  assert.equal(same.z, 0);
  assert.ok(Math.abs(same.p_value! - 1) < 1e-6);
  assert.equal(same.significant, false);
  assert.equal(twoProportionZ('a', 0, 0, 1, 10).p_value, null);
  assert.equal(twoProportionZ('a', 0, 10, 0, 10).p_value, null);
  assert.equal(twoProportionZ('a', 10, 10, 10, 10).significant, false);
});
