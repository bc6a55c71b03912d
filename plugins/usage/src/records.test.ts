import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStorableUsageTime } from '@aihub/core/plugin-api';
import { hasStorableTime, interruptedRow, parseRecord, INTERRUPTED_CODE, MAX_INT, MAX_MICROS } from './records';

describe('parseRecord', () => {
  const base = {
    requestId: 'r1',
    timestamp: '2025-01-01T00:00:00Z',
    model: 'm',
    promptTokens: 10,
    completionTokens: 5,
    costMicros: 70,
    status: 'success',
  };

  it('accepts a usage record and normalizes it', () => {
    const p = parseRecord(base);
    assert.equal(p.kind, 'final');
    if (p.kind !== 'final') return;
    assert.equal(p.row.createdAt, '2025-01-01T00:00:00.000Z');
    assert.equal(p.row.totalTokens, 15);
    assert.equal(p.row.priced, true);
  });

  it('reads a write-ahead record as the hook writes it: epoch ms, estimated and total implied', () => {
    const at = Date.parse('2026-12-07T15:00:00.123Z');
    const p = parseRecord({ requestId: 'w1', timestamp: at, model: 'm', promptTokens: 12, status: 'pending' });
    assert.equal(p.kind, 'pending');
    if (p.kind !== 'pending') return;
    assert.equal(p.row.createdAt, '2026-12-07T15:00:00.123Z');
    assert.equal(p.row.createdMs, at);
    assert.equal(p.row.estimated, true);
    assert.equal(p.row.totalTokens, 12);
    assert.equal(p.row.priced, false);
    const billed = interruptedRow(p.row);
    assert.equal(billed.totalTokens, 12);
    assert.equal(billed.errorCode, INTERRUPTED_CODE);
  });

  it('rejects what cannot be billed by id and time', () => {
    assert.equal(parseRecord(null).kind, 'invalid');
    assert.equal(parseRecord({ ...base, requestId: '' }).kind, 'invalid');
    assert.equal(parseRecord({ ...base, timestamp: 'soon' }).kind, 'invalid');
  });

  it('never bills a record without a cost as priced, and clamps bad numbers', () => {
    const p = parseRecord({
      ...base,
      costMicros: null,
      priced: true,
      promptTokens: -3,
      completionTokens: 'x',
      cachedTokens: 99,
    });
    assert.equal(p.kind, 'final');
    if (p.kind !== 'final') return;
    assert.equal(p.row.priced, false);
    assert.equal(p.row.promptTokens, 0);
    assert.equal(p.row.completionTokens, 0);
    assert.equal(p.row.cachedTokens, 0, 'cached tokens never exceed prompt tokens');
  });

  it('clamps figures beyond their columns to the largest storable value and names them', () => {
    const p = parseRecord({
      ...base,
      costMicros: 1e20,
      cachedCostMicros: '9007199254740993',
      promptTokens: 2e9,
      completionTokens: 2e9,
      ttftMs: 1e10,
    });
    assert.equal(p.kind, 'final');
    if (p.kind !== 'final') return;
    assert.equal(p.row.costMicros, MAX_MICROS);
    assert.equal(p.row.cachedCostMicros, MAX_MICROS);
    assert.equal(p.row.promptTokens, 2e9, 'a count that fits is kept');
    assert.equal(p.row.totalTokens, MAX_INT, 'an implied total is clamped too');
    assert.equal(p.row.ttftMs, MAX_INT);
    assert.equal(p.row.estimated, true, 'a clamped billed figure is not the upstream figure');
    assert.deepEqual(p.clamped, ['costMicros', 'cachedCostMicros', 'totalTokens', 'ttftMs']);
    const ok = parseRecord({ ...base, costMicros: MAX_MICROS, promptTokens: MAX_INT, completionTokens: 0 });
    assert.equal(ok.kind === 'final' && ok.clamped, undefined, 'the largest storable values are not clamps');
    assert.equal(ok.kind === 'final' && ok.row.estimated, false);
  });

  it('clamps a figure too large for a double (1e999 in the JSON, "Infinity") like any other past its column', () => {
    // JSON.parse reads 1e999 as Infinity: it was billed as 0 tokens and unpriced, unmarked.
    const p = parseRecord(
      JSON.parse(
        '{"requestId":"r-inf","timestamp":"2025-01-01T00:00:00Z","model":"m","promptTokens":1e999,' +
          '"completionTokens":"Infinity","cachedTokens":1e999,"costMicros":1e999,"status":"success"}',
      ),
    );
    assert.equal(p.kind, 'final');
    if (p.kind !== 'final') return;
    assert.equal(p.row.promptTokens, MAX_INT);
    assert.equal(p.row.completionTokens, MAX_INT);
    assert.equal(p.row.cachedTokens, MAX_INT, 'bounded by the prompt tokens');
    assert.equal(p.row.costMicros, MAX_MICROS);
    assert.equal(p.row.priced, true);
    assert.equal(p.row.estimated, true);
    assert.deepEqual(p.clamped, ['promptTokens', 'completionTokens', 'costMicros', 'totalTokens']);
    // Below zero and not a number stay what they were: nothing billed for them, and no clamp named.
    const low = parseRecord({
      ...base,
      promptTokens: JSON.parse('-1e999') as number,
      completionTokens: 'many',
      costMicros: -Infinity,
    });
    assert.equal(low.kind === 'final' && low.row.promptTokens, 0);
    assert.equal(low.kind === 'final' && low.row.completionTokens, 0);
    assert.equal(low.kind === 'final' && low.row.costMicros, null);
    assert.equal(low.kind === 'final' && low.clamped, undefined);
    const neg = parseRecord({ ...base, costMicros: -5, promptTokens: Number.NaN });
    assert.equal(neg.kind === 'final' && neg.row.costMicros, 0);
    assert.equal(neg.kind === 'final' && neg.row.promptTokens, 0);
  });

  it("decides a row's time on its createdMs as core's isStorableUsageTime does on the text", () => {
    const times = [
      '2026-12-07T15:00:00.123Z',
      '0001-01-01T00:00:00.000Z',
      '0000-12-31T23:59:59.999Z',
      '0999-12-31T23:59:59.999Z',
      '1000-01-01T00:00:00.000Z',
      '8999-12-31T23:59:59.999Z',
      '9000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      new Date(Date.UTC(10000, 0, 1)).toISOString(),
      new Date(-8.64e15).toISOString(),
    ];
    for (const t of times) {
      const p = parseRecord({ ...base, timestamp: t });
      assert.ok(p.kind === 'final', t);
      assert.equal(hasStorableTime(p.row), isStorableUsageTime(t), t);
    }
  });

  it('recognizes write-ahead records and bills them as interrupted', () => {
    const p = parseRecord({ ...base, status: 'pending', completionTokens: 0 });
    assert.equal(p.kind, 'pending');
    if (p.kind !== 'pending') return;
    const r = interruptedRow(p.row);
    assert.equal(r.status, 'error');
    assert.equal(r.errorCode, INTERRUPTED_CODE);
    assert.equal(r.costMicros, 70);
  });

  it('reads a field the write-ahead record leaves out as null, zero or false', () => {
    const full = {
      requestId: 'r2',
      timestamp: '2025-01-01T00:00:00.000Z',
      tenantId: 't1',
      keyId: 'k1',
      userId: null,
      teamId: null,
      endpoint: 'chat.completions',
      model: 'm',
      resolvedModel: null,
      provider: null,
      deployment: null,
      experiment: null,
      variant: null,
      promptTokens: 12,
      completionTokens: 0,
      cachedTokens: 0,
      totalTokens: 12,
      estimated: true,
      costMicros: null,
      priced: false,
      latencyMs: 0,
      ttftMs: null,
      status: 'pending',
      httpStatus: 0,
      errorCode: null,
      cacheHit: false,
      stream: false,
    };
    const compact = {
      requestId: 'r2',
      timestamp: '2025-01-01T00:00:00.000Z',
      tenantId: 't1',
      keyId: 'k1',
      endpoint: 'chat.completions',
      model: 'm',
      promptTokens: 12,
      totalTokens: 12,
      estimated: true,
      status: 'pending',
    };
    const a = parseRecord(full);
    const b = parseRecord(JSON.parse(JSON.stringify(compact)));
    assert.equal(b.kind, 'pending');
    assert.deepEqual(b, a);
    if (b.kind === 'pending') {
      assert.equal(b.row.priced, false, 'a pending record is never priced');
      assert.equal(b.row.costMicros, null);
    }
  });
});
