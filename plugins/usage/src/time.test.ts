import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays, daysBetween, isDay, monthDays, periodOf } from './time';
import { budgetExceeded } from './budgets/BudgetExceeded';
import { microsToDisplay, microsToUsd } from './money';

describe('time and money', () => {
  it('finds UTC periods and their ends', () => {
    const t = Date.parse('2024-02-29T23:59:59.999Z');
    assert.deepEqual(periodOf('daily', t), {
      key: '2024-02-29',
      start: Date.parse('2024-02-29T00:00:00Z'),
      end: Date.parse('2024-03-01T00:00:00Z'),
    });
    assert.deepEqual(periodOf('monthly', t), {
      key: '2024-02',
      start: Date.parse('2024-02-01T00:00:00Z'),
      end: Date.parse('2024-03-01T00:00:00Z'),
    });
    assert.equal(periodOf('monthly', Date.parse('2024-12-31T12:00:00Z')).end, Date.parse('2025-01-01T00:00:00Z'));
    assert.deepEqual(monthDays('2023-02'), {
      first: '2023-02-01',
      last: '2023-02-28',
      start: Date.parse('2023-02-01T00:00:00Z'),
      end: Date.parse('2023-03-01T00:00:00Z'),
    });
  });

  it('validates calendar days', () => {
    assert.ok(isDay('2024-02-29'));
    assert.ok(!isDay('2023-02-29'));
    assert.ok(!isDay('2023-13-01'));
    assert.ok(!isDay('2023-1-01'));
    assert.deepEqual(daysBetween('2024-12-30', '2025-01-02'), ['2024-12-30', '2024-12-31', '2025-01-01', '2025-01-02']);
    assert.equal(addDays('2025-03-01', -1), '2025-02-28');
  });

  it('formats micro-dollars exactly', () => {
    assert.equal(microsToUsd(1_234_567), '1.234567');
    assert.equal(microsToUsd(5), '0.000005');
    assert.equal(microsToUsd(-1_500_000), '-1.500000');
    assert.equal(microsToUsd(9_007_199_254_740_991), '9007199254.740991');
    assert.equal(microsToDisplay(100_000_000), '$100.00');
    assert.equal(microsToDisplay(1_005_000), '$1.01');
    // Under a dollar, every digit (issue 14 item 9: a half-cent budget read "$0.00 of $0.00").
    assert.equal(microsToDisplay(5_000), '$0.005');
    assert.equal(microsToDisplay(1_234), '$0.001234');
    assert.equal(microsToDisplay(500_000), '$0.50');
    assert.equal(microsToDisplay(0), '$0.00');
    assert.equal(microsToDisplay(-5_000), '-$0.005');
    const refusal = budgetExceeded(
      'key',
      'k1',
      'daily',
      5_000,
      5_120,
      Date.parse('2025-06-02T00:00:00Z'),
      Date.parse('2025-06-01T12:00:00Z'),
    );
    assert.match(refusal.message, /budget of \$0\.005 is spent \(\$0\.00512 used\)/);
  });
});
