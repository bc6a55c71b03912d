/**
 * Usage records whose time the database cannot store (issue 14 review): year 10000 (JavaScript writes
 * `+010000-…`, PostgreSQL refuses it), before year 1, on PostgreSQL and the embedded default. Each is
 * billed at the time it is read — none dead-lettered, no batch split, the lag back to 0 — and counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { USAGE_TOPIC, type Database } from '@aihub/core/plugin-api';
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
import { usageRecord } from './helpers/usageRecord';

const USAGE = { consumer: { blockMs: 50, batchSize: 100, claimIdleMs: 600_000, retryInitialMs: 100, retryMaxMs: 400 } };

const record = (requestId: string, timestamp: string) => usageRecord('tt', requestId, { timestamp });

async function rows(db: Database, sql: string): Promise<Record<string, unknown>[]> {
  return (await db.sequelize.query(sql, { type: 'SELECT' })) as Record<string, unknown>[];
}

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`usage records with times the database cannot store (${kind})`, () => {
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

    it('bills them at the time they are read, counted, and dead-letters nothing', async () => {
      const t0 = Date.now();
      const batch = [
        record('t-ok', '2026-01-02T03:04:05.000Z'),
        record('t-10000', new Date(Date.UTC(10000, 0, 1)).toISOString()),
        record('t-ancient', new Date(-8.64e15).toISOString()),
        record('t-max', '9999-12-31T23:59:59.000Z'),
      ];
      await probe.ctx().queue.publishNow(USAGE_TOPIC, batch);
      await waitFor(
        'all four records',
        async () => Number((await q("SELECT COUNT(*) AS n FROM usage_records WHERE tenant_id = 'tt'"))[0].n) === 4,
        20_000,
      );
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(USAGE_TOPIC, 'usage')) === 0);
      const at = new Map(
        (await q("SELECT request_id, created_at FROM usage_records WHERE tenant_id = 'tt'")).map((r) => [
          String(r.request_id),
          new Date(r.created_at as string).getTime(),
        ]),
      );
      assert.equal(at.get('t-ok'), Date.parse('2026-01-02T03:04:05.000Z'), 'a storable time is kept');
      assert.equal(at.get('t-max'), Date.parse('9999-12-31T23:59:59.000Z'), 'the last storable year is kept');
      for (const id of ['t-10000', 't-ancient']) {
        const ms = at.get(id)!;
        assert.ok(
          ms >= t0 - 1000 && ms <= Date.now() + 1000,
          `${id} billed at the time it was read (${new Date(ms).toISOString()})`,
        );
      }
      // The rollups file them under the day they were billed at too, not a day of year 10000 or
      // before year 1, which no invoice period covers.
      const daily = await q("SELECT day, SUM(requests) AS n FROM usage_daily WHERE tenant_id = 'tt' GROUP BY day");
      const billedDays = new Set([
        '2026-01-02',
        '9999-12-31',
        new Date(t0).toISOString().slice(0, 10),
        new Date().toISOString().slice(0, 10),
      ]);
      const days = daily.map((r) => `${String(r.day)} × ${Number(r.n)}`).join(', ');
      assert.ok(
        daily.every((r) => billedDays.has(String(r.day))),
        `every daily row is on a billed day: ${days}`,
      );
      assert.equal(
        daily.reduce((sum, r) => sum + Number(r.n), 0),
        4,
        days,
      );
      assert.equal(
        (await q(`SELECT COUNT(*) AS n FROM aihub_dead_letters WHERE topic = '${USAGE_TOPIC}'`))[0].n,
        kind === 'postgres' ? '0' : 0,
      );
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_records_redated_total'), 2);
      assert.equal(metricValue(metrics, 'aihub_usage_records_rejected_total') ?? 0, 0);
    });
  });
}
