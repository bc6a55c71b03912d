/**
 * Usage records whose figures exceed their columns (issue 20 review: `micros()` had no upper bound,
 * and a total of two huge token counts overflowed INTEGER), on PostgreSQL and the embedded default.
 * Each is billed — stored with the column's largest value, marked estimated, counted and logged —
 * instead of being refused by the write and dead-lettered (or, on SQLite, stored as a REAL).
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

const USAGE = { consumer: { blockMs: 50, batchSize: 100, claimIdleMs: 600_000, retryInitialMs: 100, retryMaxMs: 400 } };

function record(requestId: string, over: Partial<UsageRecord> & Record<string, unknown> = {}): UsageRecord {
  return {
    requestId,
    timestamp: new Date().toISOString(),
    tenantId: 'tc',
    keyId: 'k-tc',
    userId: null,
    teamId: null,
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    resolvedModel: null,
    provider: 'openai',
    deployment: null,
    experiment: null,
    variant: null,
    promptTokens: 10,
    completionTokens: 5,
    cachedTokens: 0,
    totalTokens: 15,
    estimated: false,
    costMicros: 100,
    priced: true,
    latencyMs: 20,
    ttftMs: null,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    cacheHit: false,
    stream: false,
    ...over,
  };
}

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
      // The rollups bill it too: the tenant's day holds the clamped cost (summed as a JavaScript
      // number, so past 2^53 the three other records' 300 micros are rounded).
      const [daily] = await q("SELECT SUM(cost_micros) AS c FROM usage_daily WHERE tenant_id = 'tc'");
      assert.equal(Number(daily.c), MAX_MICROS + 300);
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_records_clamped_total'), 3);
      assert.equal(metricValue(metrics, 'aihub_usage_records_rejected_total') ?? 0, 0);
    });
  });
}
