/**
 * Usage records whose figures exceed their columns (issue 20 review: `micros()` had no upper bound,
 * and a total of two huge token counts overflowed INTEGER), on PostgreSQL and the embedded default.
 * Each is billed — stored with the column's largest value, marked estimated, counted and logged —
 * instead of being refused by the write and dead-lettered (or, on SQLite, stored as a REAL). A day
 * of capped records must not overflow the rollups either (review of 60db650: at a cap of 2^53 − 1,
 * ~1,024 of them overflowed usage_daily's BIGINT and every later record of that row was
 * dead-lettered on PostgreSQL; SQLite turned the row's cost into a REAL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { USAGE_TOPIC, type Database, type UsageRecord } from '@aihub/core/plugin-api';
import {
  createBackend,
  identityPlugin,
  metricValue,
  probePlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type TestGateway,
} from '@aihub/core/testing';
import usagePlugin from '../src/index';
import { MAX_INT, MAX_MICROS } from '../src/records';
import { rebuildAnswered } from '../src/writer/answered';
import { ROLLUP_MAX } from '../src/writer/saturate';
import { usageRecord } from './helpers/usageRecord';

const USAGE = { consumer: { blockMs: 50, batchSize: 100, claimIdleMs: 600_000, retryInitialMs: 100, retryMaxMs: 400 } };

const record = (requestId: string, over: Partial<UsageRecord> & Record<string, unknown> = {}) =>
  usageRecord('tc', requestId, over);

async function rows(db: Database, sql: string): Promise<Record<string, unknown>[]> {
  return (await db.sequelize.query(sql, { type: 'SELECT' })) as Record<string, unknown>[];
}

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`usage records with figures beyond their columns (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const q = (sql: string) => rows(probe.ctx().database, sql);

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: { usage: USAGE },
        config: { ...backend.config, queue: { flushIntervalMs: 5 } },
      });
    });
    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('bills them at the largest storable value, marked estimated and counted, and dead-letters nothing', async () => {
      const batch = [
        record('c-ok'),
        // A cost beyond BIGINT (PostgreSQL refused the row; it was dead-lettered).
        record('c-cost', { costMicros: 1e20, outputCostMicros: 3e19, inputCostMicros: 50 }),
        // Two counts that fit INTEGER each, and a total (implied) that does not.
        record('c-total', {
          promptTokens: 2_000_000_000,
          completionTokens: 2_000_000_000,
          totalTokens: undefined,
        }),
        record('c-latency', { latencyMs: 1e12 }),
      ];
      await probe.ctx().queue.publishNow(USAGE_TOPIC, batch);
      await waitFor(
        'all four records',
        async () => Number((await q("SELECT COUNT(*) AS n FROM usage_records WHERE tenant_id = 'tc'"))[0].n) === 4,
        20_000,
      );
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(USAGE_TOPIC, 'usage')) === 0);
      const byId = new Map(
        (
          await q(
            "SELECT request_id, cost_micros, input_cost_micros, output_cost_micros, total_tokens, latency_ms, estimated FROM usage_records WHERE tenant_id = 'tc'",
          )
        ).map((r) => [String(r.request_id), r]),
      );
      const cost = byId.get('c-cost')!;
      // Compared as text: PostgreSQL's BIGINT comes back as a string, and a REAL would print as 1e+20.
      assert.equal(String(cost.cost_micros), String(MAX_MICROS));
      assert.equal(String(cost.output_cost_micros), String(MAX_MICROS));
      assert.equal(Number(cost.input_cost_micros), 50, 'a storable figure of the same record is kept');
      assert.equal(Boolean(cost.estimated), true, 'a clamped cost is not the upstream figure');
      assert.equal(Number(byId.get('c-total')!.total_tokens), MAX_INT);
      assert.equal(Boolean(byId.get('c-total')!.estimated), true);
      assert.equal(Number(byId.get('c-latency')!.latency_ms), MAX_INT);
      assert.equal(Boolean(byId.get('c-latency')!.estimated), false, 'a latency is not a billed figure');
      assert.equal(Boolean(byId.get('c-ok')!.estimated), false);
      assert.equal(
        Number((await q(`SELECT COUNT(*) AS n FROM aihub_dead_letters WHERE topic = '${USAGE_TOPIC}'`))[0].n),
        0,
      );
      // The rollups bill it too: the tenant's day holds the clamped cost plus the three other
      // records' 300 micros, exactly (the cap keeps every sum exact in a JavaScript number).
      const [daily] = await q("SELECT SUM(cost_micros) AS c FROM usage_daily WHERE tenant_id = 'tc'");
      assert.equal(Number(daily.c), MAX_MICROS + 300);
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_records_clamped_total'), 3);
      assert.equal(metricValue(metrics, 'aihub_usage_records_rejected_total') ?? 0, 0);
    });

    it('stores ~1,100 capped records and the ordinary ones of the same key, model and day', async () => {
      const t = "tenant_id = 'ts'";
      const capped = Array.from({ length: 1_100 }, (_, i) =>
        record(`s-cap-${i}`, { tenantId: 'ts', keyId: 'k-ts', costMicros: 1e20, outputCostMicros: 1e20 }),
      );
      const ordinary = (from: number) =>
        Array.from({ length: 20 }, (_, i) => record(`s-ok-${from + i}`, { tenantId: 'ts', keyId: 'k-ts' }));
      await probe.ctx().queue.publishNow(USAGE_TOPIC, [...capped.slice(0, 550), ...ordinary(0)]);
      await probe.ctx().queue.publishNow(USAGE_TOPIC, [...capped.slice(550), ...ordinary(20)]);
      const count = async (where: string) =>
        Number((await q(`SELECT COUNT(*) AS n FROM usage_records WHERE ${t}${where}`))[0].n);
      await waitFor('all 1,140 records', async () => (await count('')) === 1_140, 60_000);
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(USAGE_TOPIC, 'usage')) === 0);
      const deadLetters = async () =>
        Number((await q(`SELECT COUNT(*) AS n FROM aihub_dead_letters WHERE topic = '${USAGE_TOPIC}'`))[0].n);
      assert.equal(await deadLetters(), 0);
      // Exact sums: the records' costs, the daily row and the invoice row agree to the micro.
      const expected = String(1_100 * MAX_MICROS + 40 * 100);
      const [sum] = await q(`SELECT SUM(cost_micros) AS c FROM usage_records WHERE ${t}`);
      assert.equal(String(sum.c), expected);
      const [daily] = await q(`SELECT cost_micros, output_cost_micros, requests FROM usage_daily WHERE ${t}`);
      assert.equal(String(daily.cost_micros), expected, 'an integer, not a REAL (SQLite) or an overflow');
      assert.equal(String(daily.output_cost_micros), String(1_100 * MAX_MICROS));
      assert.equal(Number(daily.requests), 1_140);
      const [answered] = await q(`SELECT cost_micros FROM usage_answered WHERE ${t}`);
      assert.equal(String(answered.cost_micros), expected);

      // A row at the rollups' maximum (say a legacy row, or 9,007 capped records of one day) saturates
      // there, and ordinary records of the same row are still stored and billed rather than refused.
      await q(
        `UPDATE usage_daily SET cost_micros = ${ROLLUP_MAX - 50}, output_cost_micros = 4611686018427387904 WHERE ${t}`,
      );
      await q(`UPDATE usage_answered SET cost_micros = ${ROLLUP_MAX - 50} WHERE ${t}`);
      await probe.ctx().queue.publishNow(USAGE_TOPIC, ordinary(40));
      await waitFor('the later ordinary records', async () => (await count('')) === 1_160, 20_000);
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(USAGE_TOPIC, 'usage')) === 0);
      assert.equal(await deadLetters(), 0, 'never lose a usage record over a full rollup');
      assert.equal(await count(" AND request_id LIKE 's-ok-%' AND cost_micros = 100"), 60);
      const [full] = await q(`SELECT cost_micros, output_cost_micros, requests FROM usage_daily WHERE ${t}`);
      assert.equal(String(full.cost_micros), String(ROLLUP_MAX), 'saturated, at most the maximum');
      assert.equal(String(full.output_cost_micros), String(ROLLUP_MAX), 'a row above it is brought back');
      assert.equal(Number(full.requests), 1_160, 'the other measures keep counting');
      const [fullAnswered] = await q(`SELECT cost_micros, requests FROM usage_answered WHERE ${t}`);
      assert.equal(String(fullAnswered.cost_micros), String(ROLLUP_MAX));
      assert.equal(Number(fullAnswered.requests), 1_160);
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_records_rejected_total') ?? 0, 0);
    });

    it("rebuilds the invoice rollup from records whose costs sum past BIGINT, saturated like the writer's", async () => {
      await probe.ctx().queue.publishNow(
        USAGE_TOPIC,
        [0, 1, 2].map((i) => record(`l-${i}`, { tenantId: 'tl', keyId: 'k-tl' })),
      );
      await waitFor(
        'three records',
        async () => Number((await q("SELECT COUNT(*) AS n FROM usage_records WHERE tenant_id = 'tl'"))[0].n) === 3,
      );
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(USAGE_TOPIC, 'usage')) === 0);
      // Rows stored under the former cap (2^53 − 1) or by hand: three of 2^62 sum past 2^63 − 1, so the
      // backfill's SUM did not fit the column (PostgreSQL) or raised "integer overflow" (SQLite).
      await q("UPDATE usage_records SET cost_micros = 4611686018427387904 WHERE tenant_id = 'tl'");
      await q("DELETE FROM usage_answered WHERE tenant_id = 'tl'");
      const db = probe.ctx().database;
      await rebuildAnswered(
        kind === 'postgres' ? 'postgres' : 'sqlite',
        (statement, bind) => db.sequelize.query(statement, { bind }),
        { records: 'usage_records', answered: 'usage_answered' },
        'tl',
      );
      const [rebuilt] = await q(
        "SELECT cost_micros, prompt_tokens, requests FROM usage_answered WHERE tenant_id = 'tl'",
      );
      assert.equal(String(rebuilt.cost_micros), String(ROLLUP_MAX));
      assert.equal(String(rebuilt.prompt_tokens), '30', 'an integer below the maximum, not a REAL');
      assert.equal(Number(rebuilt.requests), 3);
    });
  });
}
