import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USAGE_TIME_MAX_MS, USAGE_TIME_MIN_MS, isStorableUsageTime, usageTimestamp } from './usageTime';

describe('usage record times', () => {
  it('stamps a storable start time as is, and anything else as now', () => {
    const now = () => Date.parse('2026-12-07T02:00:00.000Z');
    assert.equal(usageTimestamp(Date.parse('2026-01-02T03:04:05.006Z'), now), '2026-01-02T03:04:05.006Z');
    for (const bad of [NaN, Infinity, Date.UTC(10000, 0, 1), -8.64e15])
      assert.equal(usageTimestamp(bad, now), '2026-12-07T02:00:00.000Z', String(bad));
  });

  it('formats exactly as Date#toISOString, across seconds, fractions and years before 1970', () => {
    const base = Date.parse('2026-12-07T02:00:59.990Z');
    const instants = [0, 1, 999, 1000, -1, -1001, 0.9, 1234.999, USAGE_TIME_MIN_MS, USAGE_TIME_MAX_MS];
    // Consecutive instants across second boundaries, in and out of order (the cached second changes).
    for (let i = 0; i < 40; i++) instants.push(base + i * 0.75, base - i * 37);
    for (const ms of instants) assert.equal(usageTimestamp(ms), new Date(ms).toISOString(), String(ms));
  });

  it('accepts years 0001-9999 only', () => {
    assert.equal(isStorableUsageTime('9999-12-31T23:59:59.999Z'), true);
    assert.equal(isStorableUsageTime('0001-01-01T00:00:00.000Z'), true);
    assert.equal(isStorableUsageTime(new Date(Date.UTC(10000, 0, 1)).toISOString()), false);
    assert.equal(isStorableUsageTime(new Date(-8.64e15).toISOString()), false);
    assert.equal(isStorableUsageTime('yesterday'), false);
  });
});
