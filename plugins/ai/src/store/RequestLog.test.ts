import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Database } from '@aihub/core/plugin-api';
import { createDatabase, createLogger } from '@aihub/core/testing';
import { migrations } from '../migrations';
import { FeedbackStore } from './FeedbackStore';
import { RequestLog, type RequestRow } from './RequestLog';

const row = (id: string, tenant: string | null, extra: Partial<RequestRow> = {}): RequestRow => ({
  request_id: id,
  tenant_id: tenant,
  experiment: 'exp',
  variant: 'a',
  model: 'm',
  status: 'success',
  latency_ms: 10,
  prompt_tokens: 5,
  completion_tokens: 7,
  cost_micros: 3,
  created_at: Date.now(),
  ...extra,
});

describe('request log and feedback store (SQLite)', () => {
  let db: Database;
  let log: RequestLog;
  let store: FeedbackStore;
  before(async () => {
    db = await createDatabase({ url: 'sqlite::memory:' });
    await db.migrateUp([{ owner: 'ai', tablePrefix: 'ai', migrations }]);
    log = new RequestLog(
      db,
      'ai_requests',
      { flushIntervalMs: 10_000, maxBatch: 3, retentionDays: 30 },
      createLogger({ level: 'error', format: 'json', silent: true }),
    );
    store = new FeedbackStore(db, { requests: 'ai_requests', feedback: 'ai_feedback' }, log);
  });
  after(async () => {
    await log.close();
    await db.close();
  });

  it('finds pending rows before they are written, scoped by tenant', async () => {
    log.add(row('r1', 't1'));
    assert.deepEqual(await store.findRequest('r1', 't1'), { tenantId: 't1', experiment: 'exp', variant: 'a' });
    assert.equal(await store.findRequest('r1', 't2'), undefined);
    assert.equal(await store.findRequest('r1', null), undefined);
  });

  it('writes in batches (awkward strings escaped, a duplicate id kept once per tenant) and reads back from the database', async () => {
    for (let i = 0; i < 7; i++)
      log.add(row(`b${i}`, i % 2 ? 't1' : null, { model: i === 3 ? 'it\'s "quoted" \\ x' : 'm' }));
    log.add(row('b1', 't9', { variant: 'nine' }));
    log.add(row('b1', 't1', { variant: 'again' }));
    await log.flush();
    assert.equal(log.pending('b1', 't1'), undefined);
    const [rows] = await db.sequelize.query('SELECT request_id, tenant_id, model FROM ai_requests ORDER BY request_id');
    assert.equal((rows as unknown[]).length, 9);
    assert.equal(
      (rows as { request_id: string; model: string }[]).find((r) => r.request_id === 'b3')!.model,
      'it\'s "quoted" \\ x',
    );
    assert.equal((await store.findRequest('b1', 't1'))?.variant, 'a', 'the first row of an id wins within a tenant');
    assert.equal(
      (await store.findRequest('b1', 't9'))?.variant,
      'nine',
      'another tenant using the same id keeps its own row',
    );
    assert.ok(await store.findRequest('b0', null));
    assert.equal(await store.findRequest('b0', 't1'), undefined);
  });

  it('keeps pending rows of two tenants with the same id apart', async () => {
    log.add(row('p1', 'ta', { variant: 'A' }));
    log.add(row('p1', 'tb', { variant: 'B' }));
    assert.equal((await store.findRequest('p1', 'ta'))?.variant, 'A');
    assert.equal((await store.findRequest('p1', 'tb'))?.variant, 'B');
    assert.equal(await store.findRequest('p1', null), undefined);
    await log.flush();
    assert.equal((await store.findRequest('p1', 'ta'))?.variant, 'A');
    assert.equal((await store.findRequest('p1', 'tb'))?.variant, 'B');
  });

  it('adds feedback and summarises per variant', async () => {
    const owner = (await store.findRequest('b1', 't1'))!;
    await store.add('b1', owner, 4, 'ok', Date.now());
    await store.add('b1', owner, -2, null, Date.now());
    const s = await store.summary('t1', 0);
    assert.equal(s.length, 1);
    assert.deepEqual(
      [s[0].requests, s[0].feedbackCount, s[0].feedbackScoreSum, s[0].promptTokens, s[0].costMicros],
      [4, 2, 2, 20, 12],
    );
    assert.deepEqual(await store.summary('t-none', 0), []);
  });

  it('deletes rows past the retention', async () => {
    await log.sweep(Date.now() + 31 * 86_400_000);
    const [rows] = await db.sequelize.query('SELECT COUNT(*) AS n FROM ai_requests');
    assert.equal(Number((rows as { n: number }[])[0].n), 0);
  });
});
