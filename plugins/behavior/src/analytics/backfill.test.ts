import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays, MAX_DAYS, nextWindow } from './backfill';

describe('backfill windows', () => {
  it('widens while statements are quick, narrows when slow, within 1 and MAX_DAYS', () => {
    assert.equal(nextWindow(1, 10, 200), 2);
    assert.equal(nextWindow(32, 10, 200), 64);
    assert.equal(nextWindow(MAX_DAYS, 1, 200), MAX_DAYS);
    assert.equal(nextWindow(8, 200, 200), 8);
    assert.equal(nextWindow(8, 1000, 200), 4);
    assert.equal(nextWindow(1, 5000, 200), 1);
  });

  it('counts whole UTC days across month and year ends', () => {
    assert.equal(addDays('2025-02-28', 1), '2025-03-01');
    assert.equal(addDays('2024-12-31', 64), '2025-03-05');
  });
});
