import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_MICROS, parseRecord, type UsageRow } from '../records';
import { ANSWERED_MEASURES, AnsweredAccumulator } from './answered';
import { CubeAccumulator, MEASURES } from './rollups';
import { ROLLUP_MAX, saturatingAdd, saturatingSet } from './saturate';

function row(id: string, costMicros: number): UsageRow {
  const p = parseRecord({ requestId: id, timestamp: '2026-12-07T12:00:00Z', tenantId: 't', model: 'm', costMicros });
  assert.ok(p.kind === 'final');
  return p.row;
}

describe('saturating rollup sums', () => {
  it('adds exactly below the maximum and stops at ±ROLLUP_MAX', () => {
    assert.equal(saturatingAdd(5, 7), 12);
    assert.equal(saturatingAdd(ROLLUP_MAX - 1, 1), ROLLUP_MAX);
    assert.equal(saturatingAdd(ROLLUP_MAX - 1, 2), ROLLUP_MAX);
    assert.equal(saturatingAdd(ROLLUP_MAX, MAX_MICROS), ROLLUP_MAX);
    assert.equal(saturatingAdd(-ROLLUP_MAX, -MAX_MICROS), -ROLLUP_MAX);
    assert.equal(saturatingAdd(ROLLUP_MAX, -MAX_MICROS), ROLLUP_MAX - MAX_MICROS);
  });

  it("keeps a batch's deltas at most the maximum however many capped records it holds", () => {
    // 9,008 records at the cap pass 2^53 − 1: unbounded, the sum would be inexact and past the maximum.
    const cube = new CubeAccumulator();
    const answered = new AnsweredAccumulator();
    for (let i = 0; i < 9_010; i++) {
      const r = row(`r${i}`, 1e20);
      assert.equal(r.costMicros, MAX_MICROS);
      cube.add(r);
      answered.add(r);
    }
    const [d] = cube.sorted();
    assert.equal(d.values[MEASURES.indexOf('cost_micros')], ROLLUP_MAX);
    assert.equal(d.values[MEASURES.indexOf('requests')], 9_010);
    assert.equal(answered.sorted()[0].values[ANSWERED_MEASURES.indexOf('cost_micros')], ROLLUP_MAX);
  });

  it('compares before it adds in SQL (no intermediate past the maximum)', () => {
    assert.equal(
      saturatingSet('d', ['cost_micros']),
      `cost_micros = CASE WHEN d.cost_micros > ${ROLLUP_MAX} - excluded.cost_micros THEN ${ROLLUP_MAX} ELSE d.cost_micros + excluded.cost_micros END`,
    );
  });
});
