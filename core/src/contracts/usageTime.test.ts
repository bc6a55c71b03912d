import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStorableUsageTime, usageTimestamp } from './usageTime';

describe('usage record times', () => {
  it('stamps a storable start time as is, and anything else as now', () => {
    const now = () => Date.parse('2026-12-07T02:00:00.000Z');
    assert.equal(usageTimestamp(Date.parse('2026-01-02T03:04:05.006Z'), now), '2026-01-02T03:04:05.006Z');
    for (const bad of [NaN, Infinity, Date.UTC(10000, 0, 1), -8.64e15])
      assert.equal(usageTimestamp(bad, now), '2026-12-07T02:00:00.000Z', String(bad));
  });

  it('accepts years 0001-9999 only', () => {
    assert.equal(isStorableUsageTime('9999-12-31T23:59:59.999Z'), true);
    assert.equal(isStorableUsageTime('0001-01-01T00:00:00.000Z'), true);
    assert.equal(isStorableUsageTime(new Date(Date.UTC(10000, 0, 1)).toISOString()), false);
    assert.equal(isStorableUsageTime(new Date(-8.64e15).toISOString()), false);
    assert.equal(isStorableUsageTime('yesterday'), false);
  });
});
